#!/usr/bin/env python3
"""Reference token ids from Hugging Face's BertTokenizerFast (the Rust `tokenizers` crate).

Usage: tokenize_oracle.py MODEL_DIR MAX_LENGTH MODE [FILES...]
  With BERTH_ORACLE_AUTO=1 in the environment the tokenizer is AutoTokenizer's (the family's
  fast class from tokenizer_config.json: RoBERTa, XLM-R, DeBERTa-v2, ...) instead.
  MAX_LENGTH  truncate with truncation=True (longest_first) to this many ids; 0 = no truncation.
              single/pair accept a comma list (e.g. 2,3,16): then the answer is a list with one
              result per max length.
  MODE        what stdin holds and what is printed (JSON on stdout):
    single  stdin: JSON list of texts        -> list of input_ids
    raw     stdin: JSON list of texts        -> list of ids without [CLS]/[SEP] (no truncation)
    pair    stdin: JSON list of [a, b]       -> list of [input_ids, token_type_ids]
    hex     stdin: JSON list of hex strings of raw bytes, decoded with errors="replace"
                                             -> list of input_ids
    lines   stdin: raw bytes, split on b"\\n" as `berth tokenize` reads them (a last line
            without "\\n" counts if not empty), decoded with errors="replace"
                                             -> the text `berth tokenize` must print
    csv     FILES are CSVs with a header and a `text` column; stdin unused
                                             -> {"texts": [...], "ids": [...]}
    tail    stdin: JSON list of texts        -> list of input_ids, truncation_side="left"
    head_tail:K  stdin: JSON list of texts   -> list of input_ids keeping the first K and the last
            MAX_LENGTH-2-K word pieces of a longer text (the slicing Berth's data.truncation =
            "head_tail" must equal; K = -1 means MAX_LENGTH // 4)
    windows:S  stdin: JSON list of texts     -> per text, the list of its windows' input_ids from
            return_overflowing_tokens=True, stride=S (grouped by overflow_to_sample_mapping)
    cases   stdin: {"texts": [...], "cases": [{"mode": M, "max_length": N}, ...]} with M one of
            head, tail, head_tail:K, windows:S (MAX_LENGTH unused) -> one result per case
Texts travel as JSON so that any character (newlines included) survives.
"""
import csv
import json
import os
import sys

# Tokenization does not need a deep learning framework; not importing torch saves seconds a call.
for _var in ("USE_TORCH", "USE_TF", "USE_FLAX"):
    os.environ.setdefault(_var, "0")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
from transformers import AutoTokenizer, BertTokenizerFast  # noqa: E402
from transformers.utils import logging  # noqa: E402


def pairs_with(tok, items, kw):
    # One call per pair: batching pairs would treat an empty second text differently.
    out = []
    for a, b in items:
        e = tok(a, b, return_token_type_ids=True, **kw)
        out.append([e["input_ids"], e["token_type_ids"]])
    return out


def long_text(tok, mode, max_length, items):
    """The long-text modes (tail, head_tail:K, windows:S) on a list of texts."""
    if not items:
        return []
    if mode == "head":
        return tok(items, truncation=True, max_length=max_length)["input_ids"]
    if mode == "tail":
        tok.truncation_side = "left"
        try:
            return tok(items, truncation=True, max_length=max_length)["input_ids"]
        finally:
            tok.truncation_side = "right"
    if mode.startswith("head_tail:"):
        k = int(mode.split(":")[1])
        k = max_length // 4 if k < 0 else k
        budget = max_length - tok.num_special_tokens_to_add()
        k = min(k, budget)
        out = []
        fulls = tok(items)["input_ids"]
        for ids, full in zip(tok(items, add_special_tokens=False)["input_ids"], fulls):
            # The template's special tokens around the pieces, as tok() places them
            # (build_inputs_with_special_tokens adds none for a plain PreTrainedTokenizerFast).
            at = next(i for i in range(len(full) - len(ids) + 1) if full[i:i + len(ids)] == ids)
            kept = ids if len(ids) <= budget else ids[:k] + ids[len(ids) - (budget - k):]
            out.append(full[:at] + kept + full[at + len(ids):])
        return out
    if mode.startswith("windows:"):
        stride = int(mode.split(":")[1])
        enc = tok(items, truncation=True, max_length=max_length, stride=stride,
                  return_overflowing_tokens=True)
        out = [[] for _ in items]
        for ids, sample in zip(enc["input_ids"], enc["overflow_to_sample_mapping"]):
            out[sample].append(ids)
        return out
    sys.exit("unknown long-text mode " + mode)


def main():
    logging.set_verbosity_error()
    model, mode = sys.argv[1], sys.argv[3]
    max_lengths = [int(x) for x in sys.argv[2].split(",")]
    auto = os.environ.get("BERTH_ORACLE_AUTO") == "1"
    tok = (AutoTokenizer if auto else BertTokenizerFast).from_pretrained(model)

    def kwargs(max_length):
        return dict(truncation=True, max_length=max_length) if max_length > 0 else {}

    kw = kwargs(max_lengths[0])

    def pairs(items, kw):
        return pairs_with(tok, items, kw)

    def single(texts, kw=kw):
        if not texts:
            return []
        return tok(texts, **kw)["input_ids"]

    if mode == "lines":
        data = sys.stdin.buffer.read()
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        ids = single([line.decode("utf-8", errors="replace") for line in lines])
        sys.stdout.write("".join(json.dumps(x, separators=(",", ":")) + "\n" for x in ids))
        return
    if mode == "csv":
        texts = []
        for path in sys.argv[4:]:
            with open(path, newline="", encoding="utf-8") as f:
                texts += [row["text"] for row in csv.DictReader(f)]
        json.dump({"texts": texts, "ids": single(texts)}, sys.stdout)
        return

    items = json.load(sys.stdin)
    if mode == "cases":
        out = [long_text(tok, c["mode"], c["max_length"], items["texts"]) for c in items["cases"]]
        json.dump(out, sys.stdout, separators=(",", ":"))
        return
    if mode == "tail" or mode.startswith("head_tail:") or mode.startswith("windows:"):
        json.dump(long_text(tok, mode, max_lengths[0], items), sys.stdout, separators=(",", ":"))
        return
    if len(max_lengths) > 1:
        if mode == "single":
            out = [single(items, kwargs(m)) for m in max_lengths]
        elif mode == "pair":
            out = [pairs(items, kwargs(m)) for m in max_lengths]
        else:
            sys.exit("several max lengths need mode single or pair")
    elif mode == "single":
        out = single(items)
    elif mode == "raw":
        out = tok(items, add_special_tokens=False)["input_ids"] if items else []
    elif mode == "hex":
        out = single([bytes.fromhex(h).decode("utf-8", errors="replace") for h in items])
    elif mode == "pair":
        out = pairs(items, kw)
    else:
        sys.exit("unknown mode " + mode)
    json.dump(out, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
