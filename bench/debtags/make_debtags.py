#!/usr/bin/env python3
"""The debtags multi-label recipe, built offline from this machine's APT lists.

`apt-cache dumpavail` lists every package the configured archive offers; about 29,800 carry
debtags (`Tag:` facet::value pairs). Each such package becomes one JSONL record:
    {"text": "<package>: <short description>", "labels": ["role::program", ...], "package": ...}
Labels are the tags that occur at least --min-count times among tagged packages (the `special::`
facet, bookkeeping such as "not-yet-tagged", is dropped); packages left with no label are dropped.
The split is by a hash of the package name (80/10/10), so it does not depend on the file order
and every machine with the same archive builds the same files.

    .venv/bin/python bench/debtags/make_debtags.py --out runs/debtags/data
"""
import argparse
import collections
import hashlib
import json
import os
import subprocess
import sys


def stanzas(text):
    for block in text.split("\n\n"):
        fields, key = {}, None
        for line in block.split("\n"):
            if line.startswith((" ", "\t")) and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if "Package" in fields:
            yield fields


def split_of(package):
    bucket = int(hashlib.sha1(package.encode()).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "dev" if bucket == 1 else "train"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory for train/dev/test.jsonl")
    ap.add_argument("--min-count", type=int, default=100, help="keep tags on at least this many packages")
    ap.add_argument("--dump", help="read this dumpavail output instead of running apt-cache")
    a = ap.parse_args()
    text = open(a.dump).read() if a.dump else subprocess.run(
        ["apt-cache", "dumpavail"], check=True, capture_output=True, text=True).stdout
    packages = {}
    for f in stanzas(text):
        tags = [t.strip() for t in f.get("Tag", "").split(",") if t.strip()]
        tags = sorted({t for t in tags if not t.startswith("special::")})
        if tags and f["Package"] not in packages:  # first stanza of a package (its newest version)
            packages[f["Package"]] = (f.get("Description", ""), tags)
    counts = collections.Counter(t for _, tags in packages.values() for t in tags)
    keep = {t for t, c in counts.items() if c >= a.min_count}
    os.makedirs(a.out, exist_ok=True)
    outs = {s: open(os.path.join(a.out, s + ".jsonl"), "w") for s in ("train", "dev", "test")}
    written = collections.Counter()
    for name in sorted(packages):
        desc, tags = packages[name]
        labels = [t for t in tags if t in keep]
        if not labels:
            continue
        s = split_of(name)
        outs[s].write(json.dumps({"text": f"{name}: {desc}", "labels": labels, "package": name}) + "\n")
        written[s] += 1
    for f in outs.values():
        f.close()
    print(f"{len(packages)} tagged packages, {len(keep)} labels (>= {a.min_count} packages each); "
          f"written: {dict(written)} -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
