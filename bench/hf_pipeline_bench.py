"""Hugging Face side of bench/predict_throughput.sh (and its fixtures).

Subcommands:
  make-checkpoint BASE_DIR OUT_DIR SEED
      A BertForSequenceClassification from BASE_DIR (2 labels: negative, positive) whose new
      classifier head is drawn with torch.manual_seed(SEED), saved with save_pretrained
      (safetensors) together with BASE_DIR's tokenizer: a checkpoint both Berth and transformers
      load.
  texts CSV_FILE OUT_TXT ROWS
      The CSV's "text" column, repeated to ROWS texts, one per line (newlines in a text become
      spaces).
  throughput MODEL_DIR TXT_FILE THREADS BATCH RUNS
      pipeline("text-classification", model=MODEL_DIR, tokenizer=MODEL_DIR, device=-1,
      batch_size=BATCH, truncation=True, max_length=128) over all texts (top_k=None: every
      class's probability, as berth predict writes), RUNS times; each run builds the pipeline
      anew. Prints JSON: best seconds with and without building the pipeline (model load), and
      the texts.
  latency MODEL_DIR TXT_FILE THREADS COUNT WARMUP
      The same pipeline called on one text at a time (batch 1) for the first COUNT texts after
      WARMUP untimed calls; prints JSON with p50/p99/mean milliseconds per text.
"""

import json
import sys
import time


def make_checkpoint(base_dir, out_dir, seed):
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    torch.manual_seed(int(seed))
    model = BertForSequenceClassification.from_pretrained(
        base_dir, num_labels=2, id2label={0: "negative", 1: "positive"},
        label2id={"negative": 0, "positive": 1})
    model.save_pretrained(out_dir, safe_serialization=True)
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(out_dir)


def texts(csv_path, out_txt, rows):
    import csv
    import itertools

    with open(csv_path, newline="", encoding="utf-8") as f:
        base = [" ".join(r["text"].split()) for r in csv.DictReader(f)]
    with open(out_txt, "w", encoding="utf-8") as f:
        for t in itertools.islice(itertools.cycle(base), int(rows)):
            f.write(t + "\n")


def read_texts(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def make_pipeline(model_dir, batch):
    from transformers import pipeline

    return pipeline("text-classification", model=model_dir, tokenizer=model_dir, device=-1,
                    batch_size=int(batch), truncation=True, max_length=128)


def throughput(model_dir, txt, threads, batch, runs):
    import torch

    torch.set_num_threads(int(threads))
    data = read_texts(txt)
    best_all = best_infer = float("inf")
    for _ in range(int(runs)):
        t0 = time.perf_counter()
        pipe = make_pipeline(model_dir, batch)
        t1 = time.perf_counter()
        out = pipe(data, top_k=None)
        t2 = time.perf_counter()
        assert len(out) == len(data)
        best_all, best_infer = min(best_all, t2 - t0), min(best_infer, t2 - t1)
        del pipe
    print(json.dumps({"texts": len(data), "with_load_s": best_all, "infer_s": best_infer,
                      "threads": torch.get_num_threads()}))


def latency(model_dir, txt, threads, count, warmup):
    import torch

    torch.set_num_threads(int(threads))
    data = read_texts(txt)
    pipe = make_pipeline(model_dir, 1)
    for t in data[: int(warmup)]:
        pipe(t, top_k=None)
    times = []
    for t in data[: int(count)]:
        t0 = time.perf_counter()
        pipe(t, top_k=None)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(json.dumps({"n": len(times), "p50_ms": pick(0.50), "p99_ms": pick(0.99),
                      "mean_ms": sum(times) / len(times)}))


if __name__ == "__main__":
    commands = {"make-checkpoint": make_checkpoint, "texts": texts, "throughput": throughput,
                "latency": latency}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])
