"""Markdown tables for BENCHMARKS.md from bench/results/train_accuracy-*.jsonl and
bench/results/train_throughput.jsonl (written by bench/train_accuracy.sh and
bench/train_throughput.sh). Usage: python3 bench/summarize_training.py"""
import glob
import json
import os
import statistics as st

CNN = {"sst2": 88.1, "trec6": 93.6}  # ../shared/docs/targets.md, Kim 2014 best variant


def rows(path):
    return [json.loads(l) for l in open(path) if l.startswith("{")]


for path in sorted(glob.glob("bench/results/train_accuracy-*.jsonl")):
    rs = rows(path)
    print(f"\nFrom `{path}`:\n")
    print("| set | system | seeds | test accuracy per seed (%) | mean (%) | macro-F1 mean | samples/s mean |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: |")
    for ds in sorted({r["dataset"] for r in rs}):
        means = {}
        for system in ["berth", "transformers"]:
            s = sorted((r for r in rs if r["dataset"] == ds and r["system"] == system), key=lambda r: r["seed"])
            if not s:
                continue
            means[system] = st.mean(100 * r["test_accuracy"] for r in s)
            print(f"| {ds} | {system} | {', '.join(str(r['seed']) for r in s)} | "
                  f"{', '.join('%.2f' % (100 * r['test_accuracy']) for r in s)} | {means[system]:.2f} | "
                  f"{st.mean(r['test_macro_f1'] for r in s):.4f} | {st.mean(r['train_samples_per_s'] for r in s):.1f} |")
        if len(means) == 2:
            print(f"| {ds} | difference (berth - transformers) | | | {means['berth'] - means['transformers']:+.2f} "
                  f"| | CNN: {CNN.get(ds, '?')} |")

path = "bench/results/train_throughput.jsonl"
if os.path.exists(path):
    rs = rows(path)
    print(f"\nFrom `{path}` (last run of each configuration):\n")
    print("| precision | system | length bucketing | samples/s | ratio to transformers |")
    print("| --- | --- | --- | ---: | ---: |")
    for p in ["fp32", "bf16"]:
        hf = [r for r in rs if r["precision"] == p and r["system"] == "transformers"]
        base = hf[-1]["train_samples_per_s"] if hf else None
        seen = {}
        for r in rs:
            if r["precision"] == p:
                seen[(r["system"], r.get("length_bucketing"))] = r
        for (system, lb), r in seen.items():
            ratio = f"{r['train_samples_per_s'] / base:.2f}x" if base else "?"
            lbs = "-" if lb is None else ("on" if lb else "off")
            print(f"| {p} | {system} | {lbs} | {r['train_samples_per_s']:.1f} | {ratio} |")
