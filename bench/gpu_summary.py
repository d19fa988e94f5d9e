"""Helpers and the summary table for bench/gpu_check.sh (the GPU training-speed benchmark).

Subcommands (python3 bench/gpu_summary.py SUB ...):
  flops --models DIR --train CSV --lengths 64,128 [--out FILE]
      mean training FLOPs per sequence of the training set, per model (DIR/<model>/config.json and
      its tokenizer) and max length, as JSON {model: {length: {...}}}; needs transformers.
  peak GPU_NAME      the dense bf16 peak FLOP/s of that GPU (or "null").
  berth --run DIR --model M --precision P --max-length L --variant V [--flops FILE] [--gpu NAME]
        [--batch-size 32] [--warmup-steps 20]
      one JSON line for a Berth run, from DIR/metrics.jsonl.
  table FILE.jsonl [...] [--flops FILE]
      the Markdown tables for BENCHMARKS.md.

Timing contract (both systems): steps 1-20 are warm-up; train_samples_per_s and tokens_per_s are
over the logging windows (10 steps each, each ending with a device synchronisation) that start
after step 20; all_steps_samples_per_s is over every step. tokens are real (non-padding) tokens.

Model FLOPs (the same formula for both systems, computed here and imported by hf_gpu_train.py):
  forward FLOPs of one sequence of n real tokens, for a BERT of hidden h, L layers, FFN width i,
  C labels:
      2*n*L*(4*h*h + 2*h*i)        the encoder layers' weight matrices (Q, K, V, output, FFN in/out)
    + 4*n*n*h*L                    attention scores Q.K^T and the weighted sum A.V
    + 2*(h*h + h*C)                pooler and classifier, applied once per sequence (to [CLS])
  training FLOPs = 3 x forward (backward = 2 x forward). Biases, LayerNorm, softmax, GELU, dropout,
  embeddings and padding are not counted (model FLOPs, not hardware FLOPs).
  flops_per_sample = the mean of that over the training set, each row tokenized and truncated to
  the run's max length (the rows a 150-step run draws are a random subset of it).
  MFU = train_samples_per_s (steady) * flops_per_sample / peak, where peak is the GPU's dense bf16
  peak (989e12 for H100 SXM and H200), for fp32 runs too.
"""
import argparse
import csv
import json
import math
import os
import sys

WARMUP_STEPS = 20


def train_flops_per_sequence(n, hidden, layers, intermediate, num_labels=2):
    h, L, i = hidden, layers, intermediate
    forward = 2 * n * L * (4 * h * h + 2 * h * i) + 4 * n * n * h * L + 2 * (h * h + h * num_labels)
    return 3 * forward


def mean_train_flops(lengths, cfg):
    """cfg: a BERT config as a dict (config.json)."""
    h, L, i = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
    c = cfg.get("num_labels") or len(cfg.get("id2label") or {}) or 2
    return sum(train_flops_per_sequence(n, h, L, i, c) for n in lengths) / max(1, len(lengths))


def peak_flops(gpu_name):
    """Dense (no sparsity) bf16 tensor-core peak FLOP/s, from the vendors' data sheets."""
    n = (gpu_name or "").upper()
    if "H100" in n and "PCIE" in n:
        return 756e12
    if "H100" in n and "NVL" in n:
        return 835e12
    if "H100" in n or "H200" in n or "H800" in n:
        return 989e12
    if "A100" in n or "A800" in n:
        return 312e12
    return None


def read_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def read_csv_texts(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f)]


def flops_table(models_dir, train_csv, lengths):
    """{model: {str(length): {flops_per_sample, mean_tokens, rows}}} for each model directory."""
    from transformers import BertTokenizerFast
    texts = read_csv_texts(train_csv)
    res, cache = {}, {}
    for model in sorted(os.listdir(models_dir)):
        d = os.path.join(models_dir, model)
        if not os.path.isfile(os.path.join(d, "config.json")):
            continue
        cfg = json.load(open(os.path.join(d, "config.json")))
        vocab = open(os.path.join(d, "vocab.txt"), "rb").read()
        res[model] = {}
        for L in lengths:
            if (vocab, L) not in cache:
                tok = BertTokenizerFast.from_pretrained(d)
                cache[vocab, L] = [len(s) for s in tok(texts, truncation=True, max_length=L)["input_ids"]]
            ls = cache[vocab, L]
            res[model][str(L)] = {"flops_per_sample": mean_train_flops(ls, cfg),
                                  "mean_tokens": sum(ls) / len(ls), "rows": len(ls)}
    return res


def cmd_flops(a):
    res = flops_table(a.models, a.train, [int(x) for x in a.lengths.split(",") if x])
    text = json.dumps(res, indent=1)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    print(text)


def lookup_flops(flops, model, max_length):
    try:
        return flops[model][str(max_length)]["flops_per_sample"]
    except (KeyError, TypeError):
        return None


def cmd_berth(a):
    rec = {"system": "berth", "model": a.model, "precision": a.precision,
           "max_length": a.max_length, "variant": a.variant, "gpu": a.gpu or None,
           "peak_flops": peak_flops(a.gpu), "exit_status": a.exit_status}
    path = os.path.join(a.run, "metrics.jsonl")
    rows = read_jsonl(path) if os.path.exists(path) else []
    train = [r for r in rows if r.get("type") == "train"]
    done = [r for r in rows if r.get("type") == "done"]
    if a.exit_status not in (None, 0):
        rec["error"] = f"exit status {a.exit_status}" + (" (timeout)" if a.exit_status == 124 else "")
    if not train:
        rec["error"] = (rec.get("error", "") + " no train records in " + path).strip()
        print(json.dumps(rec))
        return
    # Window totals: exact when Berth writes them; else derived from the rates (full batches).
    derived = not all("seconds" in r and "samples" in r for r in train)
    rec["window_totals"] = "derived from samples_per_s" if derived else "metrics.jsonl"
    windows, prev = [], 0
    for r in train:
        step = r["step"]
        if derived:
            samples = (step - prev) * a.batch_size
            seconds = samples / max(1e-12, r["samples_per_s"])
            tokens = r.get("tokens_per_s", 0.0) * seconds
        else:
            samples, seconds = r["samples"], r["seconds"]
            tokens = r.get("tokens", r.get("tokens_per_s", 0.0) * seconds)
        windows.append((prev, step, samples, seconds, tokens))
        prev = step
    steady = [w for w in windows if w[0] >= a.warmup_steps]
    last_step = done[-1]["step"] if done else windows[-1][1]
    rec["steps"] = last_step
    if steady:
        s, t, k = (sum(w[i] for w in steady) for i in (2, 3, 4))
        rec["train_samples_per_s"] = s / t
        rec["tokens_per_s"] = k / t
        rec["steady_steps"] = sum(w[1] - w[0] for w in steady)
    else:
        rec["train_samples_per_s"] = rec["tokens_per_s"] = None
    if done:
        rec["all_steps_samples_per_s"] = done[-1]["samples_seen"] / max(1e-12, done[-1]["train_seconds"])
        rec["train_seconds"] = done[-1]["train_seconds"]
        rec["done"] = done[-1]  # whatever else Berth reports at the end (e.g. CUDA graphs)
    else:
        s, t = sum(w[2] for w in windows), sum(w[3] for w in windows)
        rec["all_steps_samples_per_s"] = s / t if t else None
        rec.setdefault("error", "no done record (run cut short?)")
    warm = [w for w in windows if w[1] <= a.warmup_steps]
    rec["warmup_seconds"] = sum(w[3] for w in warm)
    rec["window_seconds"] = [round(w[3], 4) for w in windows]
    rec["final_loss"] = train[-1].get("mean_loss", train[-1].get("loss"))
    flops = json.load(open(a.flops)) if a.flops and os.path.exists(a.flops) else None
    fps = lookup_flops(flops, a.model, a.max_length)
    rec["flops_per_sample"] = fps
    rec["mfu"] = (rec["train_samples_per_s"] * fps / rec["peak_flops"]
                  if fps and rec["peak_flops"] and rec["train_samples_per_s"] else None)
    print(json.dumps(rec))


NAMES = {"minilm-l6-h384": "MiniLM-L6-H384", "bert-base": "BERT-base"}
LEVERS = ["no_graphs", "no_fused_adamw", "no_prefetch", "eager_baseline_like"]


def fmt(x, d=0):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}f}"


def cmd_table(a):
    recs = []
    for p in a.files:
        if os.path.exists(p):
            recs += read_jsonl(p)
    flops = json.load(open(a.flops)) if a.flops and os.path.exists(a.flops) else None
    by = {}
    for r in recs:
        if "system" not in r or "model" not in r:
            continue
        if r.get("mfu") is None and r.get("train_samples_per_s"):
            fps = r.get("flops_per_sample") or lookup_flops(flops, r["model"], r.get("max_length"))
            pk = r.get("peak_flops") or peak_flops(r.get("gpu"))
            if fps and pk:
                r["mfu"] = r["train_samples_per_s"] * fps / pk
        # The last record of a (system, model, precision, length, variant) wins (reruns).
        by[(r["system"], r["model"], r.get("precision"), r.get("max_length"), r.get("variant"))] = r
    gpus = sorted({r.get("gpu") for r in by.values() if r.get("gpu")})
    keys = sorted({k[1:4] for k in by}, key=lambda k: (list(NAMES).index(k[0]) if k[0] in NAMES else 9,
                                                         k[1] != "bf16", k[2] or 0))

    def sps(system, k, variant, field="train_samples_per_s"):
        r = by.get((system, *k, variant))
        return None if r is None else r.get(field)

    print(f"GPU: {', '.join(gpus) or 'unknown'}; training samples/s over the steps after the warm-up "
          f"(all steps in brackets); MFU against the dense bf16 peak.\n")
    print("| model | precision | max length | Berth | Berth, all levers off | transformers eager "
          "| transformers compile | Berth / eager | MFU Berth | MFU eager |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for k in keys:
        b, e = sps("berth", k, "default"), sps("transformers", k, "eager")
        cells = []
        for system, variant in [("berth", "default"), ("berth", "eager_baseline_like"),
                                ("transformers", "eager"), ("transformers", "compile")]:
            v, al = sps(system, k, variant), sps(system, k, variant, "all_steps_samples_per_s")
            r = by.get((system, *k, variant)) or {}
            if v is None:
                cells.append("skipped" if r.get("skipped") else "failed" if r.get("error") else "-")
            else:
                cells.append(f"{fmt(v)} ({fmt(al)})")
        ratio = f"{b / e:.2f}x" if b and e else "-"
        mb = (by.get(("berth", *k, "default")) or {}).get("mfu")
        me = (by.get(("transformers", *k, "eager")) or {}).get("mfu")
        pct = lambda m: "-" if m is None else f"{100 * m:.3g} %"
        print(f"| {NAMES.get(k[0], k[0])} | {k[1]} | {k[2]} | " + " | ".join(cells)
              + f" | {ratio} | {pct(mb)} | {pct(me)} |")

    lever_keys = [k for k in keys if any(("berth", *k, v) in by for v in LEVERS)]
    if lever_keys:
        print("\nBerth with one lever off at a time (samples/s after the warm-up; change against default):\n")
        print("| model | precision | max length | default | " + " | ".join(LEVERS) + " |")
        print("| --- | --- | ---: | ---: |" + " ---: |" * len(LEVERS))
        for k in lever_keys:
            d = sps("berth", k, "default")
            cells = []
            for v in LEVERS:
                x, r = sps("berth", k, v), by.get(("berth", *k, v)) or {}
                if x is None:
                    cells.append("skipped" if r.get("skipped") else "failed" if r.get("error") else "-")
                else:
                    cells.append(fmt(x) + (f" ({100 * (x / d - 1):+.0f} %)" if d else ""))
            print(f"| {NAMES.get(k[0], k[0])} | {k[1]} | {k[2]} | {fmt(d)} | " + " | ".join(cells) + " |")

    comp = [r for kk, r in by.items() if kk[0] == "transformers" and kk[4] == "compile"]
    if comp:
        print("\ntorch.compile warm-up (wall time of the warm-up steps, and the part beyond as many steady steps):\n")
        for r in comp:
            print(f"- {NAMES.get(r['model'], r['model'])} {r.get('precision')} {r.get('max_length')}: "
                  + ("failed/skipped: " + str(r.get("error") or r.get("skipped"))
                     if r.get("train_samples_per_s") is None else
                     f"warm-up {fmt(r.get('warmup_seconds'), 1)} s, compile {fmt(r.get('compile_seconds'), 1)} s, "
                     f"graphs {r.get('compiled_graphs', '-')}"))
    bad = [kk for kk, r in by.items() if r.get("error") or r.get("skipped")]
    if bad:
        print("\nFailed or skipped: " + ", ".join(":".join(str(x) for x in kk) + " (" +
                                                  str(by[kk].get("error") or by[kk].get("skipped"))[:80] + ")"
                                                  for kk in bad))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("flops")
    f.add_argument("--models", required=True)
    f.add_argument("--train", required=True)
    f.add_argument("--lengths", default="64,128")
    f.add_argument("--out", default="")
    k = sub.add_parser("peak")
    k.add_argument("gpu", nargs="?", default="")
    b = sub.add_parser("berth")
    b.add_argument("--run", required=True)
    b.add_argument("--model", required=True)
    b.add_argument("--precision", required=True)
    b.add_argument("--max-length", type=int, required=True)
    b.add_argument("--variant", required=True)
    b.add_argument("--flops", default="")
    b.add_argument("--gpu", default="")
    b.add_argument("--batch-size", type=int, default=32)
    b.add_argument("--warmup-steps", type=int, default=WARMUP_STEPS)
    b.add_argument("--exit-status", type=int, default=None)
    t = sub.add_parser("table")
    t.add_argument("files", nargs="+")
    t.add_argument("--flops", default="")
    a = p.parse_args()
    if a.cmd == "flops":
        cmd_flops(a)
    elif a.cmd == "peak":
        print(json.dumps(peak_flops(a.gpu)))
    elif a.cmd == "berth":
        cmd_berth(a)
    else:
        cmd_table(a)


if __name__ == "__main__":
    sys.exit(main())
