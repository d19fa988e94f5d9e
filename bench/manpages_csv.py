#!/usr/bin/env python3
"""Builds the long-text benchmark data set from Debian's manual pages, offline: the pages of the
packages manpages and manpages-dev (dpkg -L), as plain text, labelled by their section.

Usage: bench/manpages_csv.py OUT_DIR [--min-pages 30]
Writes OUT_DIR/{train,dev,test}.csv (columns text,label) and prints the counts as JSON.

- A page that is a symbolic link or only a redirect (".so man3/other.3") is skipped: it would
  duplicate its target.
- roff is turned into text with a small converter (no groff needed): comment lines dropped, the
  .TH title line dropped (it states the section), macro names dropped and their arguments kept,
  font and size escapes removed, the common character escapes mapped. Cross-references such as
  "read(2)" stay: they are part of the text a classifier reads (most sit in SEE ALSO, at the end).
- label = the section digit (man3 -> "3"); sections with fewer than --min-pages pages are left out.
- split by a hash of the page's file name: 70 % train, 15 % dev, 15 % test (stable across runs).
"""
import argparse
import csv
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys

ESCAPES = {r"\-": "-", r"\(em": "--", r"\(en": "-", r"\(aq": "'", r"\(dq": '"', r"\(lq": '"',
           r"\(rq": '"', r"\(bu": "*", r"\(co": "(c)", r"\e": "\\", r"\&": "", r"\|": "",
           r"\^": "", r"\ ": " ", r"\~": " ", r"\:": "", r"\%": "", r"\(ti": "~", r"\(ha": "^",
           r"\(rs": "\\", r"\(mu": "x", r"\(<=": "<=", r"\(>=": ">=", r"\(!=": "!="}
FONT = re.compile(r"\\f(\[[^\]]*\]|\(..|.)")
SIZE = re.compile(r"\\s[-+]?\d+")
OTHER = re.compile(r"\\(\[[^\]]*\]|\(..|\*(\[[^\]]*\]|\(..|.)|n(\[[^\]]*\]|\(..|.)|.)")
ARGS = re.compile(r'"([^"]*)"|(\S+)')


def roff_to_text(src):
    lines = []
    for line in src.splitlines():
        if line.startswith(('.\\"', "'\\\"", '.\\}')) or line.strip() in (".", "'"):
            continue
        if line.startswith((".", "'")):
            name, _, rest = line[1:].strip().partition(" ")
            if name in ("TH", "so", "nh", "ad", "na", "hy", "ft", "ps", "ne", "ta", "de", "ds",
                        "nr", "if", "ie", "el", "ig", "ll", "in", "ti", "sp", "br", "nf", "fi",
                        "PP", "LP", "P", "RS", "RE", "EX", "EE", "TE", "TS", "UE", "ME", "YS"):
                continue
            # Macro arguments (.B, .BR, .SH, .TP lines ...): the text without the quotes.
            line = " ".join(a or b for a, b in ARGS.findall(rest))
        for k, v in ESCAPES.items():
            line = line.replace(k, v)
        line = FONT.sub("", line)
        line = SIZE.sub("", line)
        line = OTHER.sub("", line)
        if line.strip():
            lines.append(line.strip())
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--min-pages", type=int, default=30)
    args = ap.parse_args()
    files = subprocess.run(["dpkg", "-L", "manpages", "manpages-dev"], check=True,
                           capture_output=True, text=True).stdout.split()
    pages = {}
    for path in sorted(set(files)):
        m = re.match(r"/usr/share/man/man(\d)\w*/([^/]+)\.gz$", path)
        if not m or not os.path.isfile(path) or os.path.islink(path):
            continue
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            src = f.read()
        body = [l for l in src.splitlines() if l.strip() and not l.startswith(('.\\"', "'\\\""))]
        if body and body[0].startswith(".so "):
            continue
        text = roff_to_text(src)
        if text:
            pages[m.group(2)] = (text, m.group(1))
    counts = {}
    for _, label in pages.values():
        counts[label] = counts.get(label, 0) + 1
    kept = {s for s, n in counts.items() if n >= args.min_pages}
    os.makedirs(args.out_dir, exist_ok=True)
    splits = {"train": [], "dev": [], "test": []}
    for name, (text, label) in sorted(pages.items()):
        if label not in kept:
            continue
        h = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 100
        splits["train" if h < 70 else "dev" if h < 85 else "test"].append((text, label))
    summary = {"sections_kept": sorted(kept), "pages_by_section": dict(sorted(counts.items()))}
    for split, rows in splits.items():
        with open(os.path.join(args.out_dir, split + ".csv"), "w", newline="",
                  encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            w.writerows(rows)
        by = {}
        for _, label in rows:
            by[label] = by.get(label, 0) + 1
        summary[split] = {"rows": len(rows), "by_label": dict(sorted(by.items())),
                          "mean_chars": round(sum(len(t) for t, _ in rows) / max(1, len(rows)))}
    json.dump(summary, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
