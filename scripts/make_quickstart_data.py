#!/usr/bin/env python3
"""Builds the quickstart corpus from what every Debian machine has: package descriptions
(`apt-cache dumpavail`), labelled by archive section. Real text, real labels, no download.

Writes OUT_DIR/{train,dev,test}.csv (header text,label). Deterministic: packages are chosen and
split by a hash of their name, so every machine with the same package lists gets the same files.
Usage: make_quickstart_data.py OUT_DIR [--per-section N]
"""
import csv
import hashlib
import os
import subprocess
import sys

SECTIONS = ["games", "sound", "graphics", "fonts", "science", "net"]


def records(text):
    for block in text.split("\n\n"):
        fields, key = {}, None
        for line in block.split("\n"):
            if line.startswith((" ", "\t")) and key:
                fields[key] += "\n" + line
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields:
            yield fields


def description(d):
    # Short description plus the first paragraph of the long one, as one line of prose.
    lines = d.split("\n")
    long_part = []
    for line in lines[1:]:
        line = line.strip()
        if line == ".":
            break
        long_part.append(line)
    return " ".join([lines[0].strip()] + long_part).strip()


def main():
    out = sys.argv[1]
    per_section = int(sys.argv[sys.argv.index("--per-section") + 1]) if "--per-section" in sys.argv else 400
    dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    by_section, seen = {s: [] for s in SECTIONS}, set()
    for r in records(dump):
        section = r.get("Section", "").split("/")[-1]
        name = r["Package"]
        if section not in by_section or name in seen or "Description" not in r:
            continue
        if name.endswith(("-dbg", "-dbgsym", "-doc", "-data", "-common")):
            continue  # near-duplicate descriptions of the same program
        seen.add(name)
        by_section[section].append((hashlib.sha256(name.encode()).hexdigest(), description(r["Description"])))
    splits = {"train": [], "dev": [], "test": []}
    for section, rows in by_section.items():
        if len(rows) < per_section:
            sys.exit(f"make_quickstart_data: only {len(rows)} packages in section {section}; "
                     "run 'apt-get update' first")
        for h, text in sorted(rows)[:per_section]:
            bucket = int(h[:8], 16) % 10
            splits["train" if bucket < 8 else "dev" if bucket == 8 else "test"].append((text, section))
    os.makedirs(out, exist_ok=True)
    for split, rows in splits.items():
        rows.sort(key=lambda r: hashlib.sha256(r[0].encode()).hexdigest())
        tmp = os.path.join(out, f".{split}.csv.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            w.writerows(rows)
        os.replace(tmp, os.path.join(out, f"{split}.csv"))
    print(f"quickstart data: {', '.join(f'{k} {len(v)}' for k, v in splits.items())} rows in {out}")


if __name__ == "__main__":
    main()
