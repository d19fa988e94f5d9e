"""Checks a corpus written by `berth prep` against an independent reading of its source.

The source is read with Python's own csv/json modules, the expected rows (non-blank text, and a
non-empty label when labeled), label map and counts are computed here, and the stored token ids
are compared with BertTokenizerFast's for a sample of rows (all rows when "sample" is 0).

usage: corpus_oracle.py --model DIR < jobs.json
jobs.json is a list of jobs, checked with one tokenizer load (transformers takes seconds to
import): {"corpus", "input", and optionally "labels_from", "format", "text_column" ("text"),
"label_column" (none: unlabeled), "pair_column", "max_length" (128), "sample" (0)}.
Exits 1 with a message on the first mismatch, otherwise prints a JSON summary per job.
"""
import argparse
import csv
import hashlib
import json
import os
import random
import sys

import h5py
import numpy as np
from transformers import BertTokenizerFast


def fail(msg):
    print("MISMATCH: " + msg, file=sys.stderr)
    sys.exit(1)


def read_source(path, fmt, columns):
    """Yields (record_number, {column: value}) like berth's readers."""
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8-sig") as f:
            for i, row in enumerate(csv.DictReader(f), 1):
                yield i, row
    elif fmt == "tsv":
        with open(path, newline="", encoding="utf-8-sig") as f:
            lines = [l.rstrip("\n").rstrip("\r") for l in f]
        header, record = None, 0
        for line in lines:
            if not line:
                continue
            if header is None:
                header = line.split("\t")
                continue
            record += 1
            yield record, dict(zip(header, line.split("\t")))
    elif fmt == "jsonl":
        with open(path, encoding="utf-8-sig") as f:
            record = 0
            for line in f:
                if not line.strip():
                    continue
                record += 1
                obj = json.loads(line)
                row = {}
                for c in columns:
                    v = obj.get(c)
                    row[c] = "" if v is None else v if isinstance(v, str) else json.dumps(v)
                yield record, row
    elif fmt == "txt":
        with open(path, newline="", encoding="utf-8-sig") as f:
            data = f.read()
        lines = data.split("\n")
        if data.endswith("\n"):
            lines.pop()
        for i, line in enumerate(lines, 1):
            yield i, {"text": line.rstrip("\r")}
    else:
        fail("unknown format " + fmt)


def sort_labels(names):
    try:
        return sorted(names, key=lambda s: (int(s), s))
    except ValueError:
        return sorted(names)


def check(tok, args, corpus, source, labels_from):
    ext = os.path.splitext(source)[1].lstrip(".").lower()
    fmt = args.format or {"json": "jsonl"}.get(ext, ext)
    labeled = args.label_column is not None
    cols = [args.text_column] + ([args.pair_column] if args.pair_column else []) + \
        ([args.label_column] if labeled else [])
    kept, skipped, read = [], 0, 0
    for record, row in read_source(source, fmt, cols):
        read += 1
        text = row[args.text_column]
        pair = row[args.pair_column] if args.pair_column else None
        label = (row.get(args.label_column) or "").strip() if labeled else None
        if not text.strip() or (pair is not None and not pair.strip()) or (labeled and not label):
            skipped += 1
            continue
        kept.append((record, text, pair, label))

    with h5py.File(corpus, "r") as f:
        a = dict(f.attrs)
        n = len(f["offsets"]) - 1
        if n != len(kept):
            fail(f"{corpus}: {n} examples, expected {len(kept)} from {source}")
        for key, want in [("rows_read", read), ("rows_written", len(kept)), ("rows_skipped", skipped)]:
            if int(a[key]) != want:
                fail(f"{corpus}: attribute {key} = {a[key]}, expected {want}")
        with open(source, "rb") as s:
            sha = hashlib.sha256(s.read()).hexdigest()
        if a["source_sha256"] != sha or int(a["source_size"]) != os.path.getsize(source):
            fail(f"{corpus}: source_sha256/size do not match {source}")
        if a["format"] != "berth-corpus" or int(a["format_version"]) not in (2, 3):
            fail(f"{corpus}: bad format attributes")
        with open(corpus, "rb") as c:
            block, body = c.read(512), c.read()
        want_block = ("berth-corpus-sha256 " + hashlib.sha256(body).hexdigest() + "\n").encode()
        if block != want_block.ljust(512, b"\0"):
            fail(f"{corpus}: the checksum block is not SHA-256 of the bytes after it")
        if int(a["max_length"]) != args.max_length:
            fail(f"{corpus}: max_length {a['max_length']}")
        offsets = f["offsets"][:]
        ids = f["input_ids"][:]
        rows = f["source_rows"][:]
        types = f["token_type_ids"][:] if "token_type_ids" in f else None
        if (types is not None) != bool(args.pair_column):
            fail(f"{corpus}: token_type_ids present = {types is not None}")
        want_rows = [k[0] for k in kept]
        if list(rows) != want_rows:
            fail(f"{corpus}: source_rows differ from the kept records")
        names, counts = None, None
        if labeled:
            names = [s.decode() if isinstance(s, bytes) else s for s in f["label_names"][:]]
            if labels_from:
                with h5py.File(labels_from, "r") as t:
                    want_names = [s.decode() if isinstance(s, bytes) else s for s in t["label_names"][:]]
            else:
                want_names = sort_labels(set(k[3] for k in kept))
            if names != want_names:
                fail(f"{corpus}: label_names {names}, expected {want_names}")
            labels = f["labels"][:]
            want = [want_names.index(k[3]) for k in kept]
            if list(labels) != want:
                fail(f"{corpus}: labels differ")
            counts = {name: int((labels == i).sum()) for i, name in enumerate(names)}
        elif "labels" in f:
            fail(f"{corpus}: unlabeled corpus has labels")

    sample = list(range(len(kept)))
    if args.sample and args.sample < len(kept):
        sample = sorted(random.Random(0).sample(sample, args.sample))
    if sample:
        texts = [kept[i][1] for i in sample]
        pairs = [kept[i][2] for i in sample] if args.pair_column else None
        enc = tok(texts, pairs, truncation=True, max_length=args.max_length) if pairs else \
            tok(texts, truncation=True, max_length=args.max_length)
        for j, i in enumerate(sample):
            got = ids[offsets[i]:offsets[i + 1]].tolist()
            if got != enc["input_ids"][j]:
                fail(f"{corpus}: ids of record {kept[i][0]} differ:\n berth {got}\n HF    {enc['input_ids'][j]}")
            if pairs and types[offsets[i]:offsets[i + 1]].tolist() != enc["token_type_ids"][j]:
                fail(f"{corpus}: token types of record {kept[i][0]} differ")
    return {"corpus": corpus, "rows": len(kept), "read": read, "skipped": skipped,
            "label_names": names, "label_counts": counts, "checked_ids": len(sample)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    args = p.parse_args()
    tok = BertTokenizerFast.from_pretrained(args.model)
    out = []
    for job in json.load(sys.stdin):
        opts = argparse.Namespace(format=job.get("format"),
                                  text_column=job.get("text_column", "text"),
                                  label_column=job.get("label_column"),
                                  pair_column=job.get("pair_column"),
                                  max_length=job.get("max_length", 128),
                                  sample=job.get("sample", 0))
        out.append(check(tok, opts, job["corpus"], job["input"], job.get("labels_from")))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
