"""Hugging Face baseline for bench/prep_throughput.sh: BertTokenizerFast batch encoding of the
texts of a CSV, `tokenizer(batch, truncation=True, max_length=N)`, as a Python user would
pre-tokenize. Thread count comes from RAYON_NUM_THREADS (set by the caller).

usage: hf_tokenize_bench.py MODEL_DIR INPUT.csv [--text-column text] [--max-length 128]
       [--batch 4096] [--repeat 3]
Prints one JSON line: rows, bytes, best seconds for reading the CSV, for encoding, and for the
Rust backend's encode_batch alone (tokenizer.backend_tokenizer, truncation on).
"""
import argparse
import csv
import json
import os
import time

from transformers import BertTokenizerFast


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("input")
    p.add_argument("--text-column", default="text")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    tok = BertTokenizerFast.from_pretrained(a.model)
    best_read = best_encode = float("inf")
    tokens = 0
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        with open(a.input, newline="", encoding="utf-8") as f:
            texts = [row[a.text_column] for row in csv.DictReader(f)]
        t1 = time.perf_counter()
        tokens = 0
        for i in range(0, len(texts), a.batch):
            enc = tok(texts[i:i + a.batch], truncation=True, max_length=a.max_length)
            tokens += sum(len(x) for x in enc["input_ids"])
        t2 = time.perf_counter()
        best_read = min(best_read, t1 - t0)
        best_encode = min(best_encode, t2 - t1)
    # The Rust core alone (no Python lists/dicts built per row): the floor of what HF costs.
    core = tok.backend_tokenizer
    core.enable_truncation(a.max_length)
    best_core = float("inf")
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        for i in range(0, len(texts), a.batch):
            core.encode_batch(texts[i:i + a.batch])
        best_core = min(best_core, time.perf_counter() - t0)
    print(json.dumps({"rows": len(texts), "bytes": os.path.getsize(a.input), "tokens": tokens,
                      "read_s": best_read, "encode_s": best_encode, "core_encode_s": best_core,
                      "threads": os.environ.get("RAYON_NUM_THREADS", "default")}))


if __name__ == "__main__":
    main()
