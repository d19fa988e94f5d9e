"""The strongest plain-PyTorch training loop a user would write with transformers, for the GPU
training-speed comparison in bench/gpu_check.sh (the timing contract is in bench/gpu_summary.py).

One process runs a list of configurations (the import cost is paid once) and prints one JSON line
per configuration on stdout (progress on stderr):
  hf_gpu_train.py --models DIR --train CSV --runs minilm-l6-h384:bf16:64,bert-base:fp32:128:eager,...
A run is MODEL:PRECISION:MAX_LENGTH[:VARIANT]; MODEL is a directory under --models (a saved
BertForSequenceClassification with its tokenizer), PRECISION bf16 (autocast) or fp32, VARIANT eager
(default) or compile (torch.compile(model), default dynamic).

The loop: BertForSequenceClassification loaded with attn_implementation="sdpa" (cuDNN's SDPA
backend off, as Berth has it), dropout on (model.train()), torch.autocast(bfloat16) for bf16 and
plain fp32 otherwise (TF32 for matmuls left at PyTorch's default, which is off:
float32_matmul_precision "highest"; the record says which), torch.optim.AdamW(fused=True) with
weight decay 0.01 except biases and LayerNorm, linear warm-up (10 % of the steps) then linear
decay, clip_grad_norm_ 1.0, zero_grad(set_to_none=True), lr 1e-4, batch 32. Batches are grouped by
length: indices shuffled with the seed, cut into mega-batches of 50 x batch size, each sorted by
length, cut into batches, the batch order shuffled. The data is tokenized and the padded batches
(padded to each batch's longest row) are built in pinned memory before timing, as a DataLoader
with workers and pin_memory would have them ready; they are copied with non_blocking=True. The
loss is accumulated on the device and read (.item()) once per 10-step window.
Timing: each 10-step window ends with torch.cuda.synchronize(); train_samples_per_s is over the
windows after step 20, all_steps_samples_per_s over all. For compile, warmup_seconds is the wall
time of steps 1-20 (the compilations happen there) and compile_seconds that minus 20 steady steps.
"""
import argparse
import csv
import json
import math
import os
import random
import sys
import time
import traceback

import torch
import torch.nn.functional as F
import transformers
from transformers import BertForSequenceClassification, BertTokenizerFast, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_summary import mean_train_flops, peak_flops  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--models", required=True, help="directory holding one directory per model")
p.add_argument("--train", required=True, help="CSV with text,label columns")
p.add_argument("--runs", required=True, help="MODEL:PRECISION:MAX_LENGTH[:VARIANT],...")
p.add_argument("--steps", type=int, default=150)
p.add_argument("--warmup-steps", type=int, default=20, help="steps excluded from the steady rate")
p.add_argument("--log-every", type=int, default=10)
p.add_argument("--batch-size", type=int, default=32)
p.add_argument("--lr", type=float, default=1e-4)
p.add_argument("--warmup-ratio", type=float, default=0.1)
p.add_argument("--weight-decay", type=float, default=0.01)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--device", default="cuda")
p.add_argument("--deadline", type=float, default=0,
               help="Unix time after which runs not yet started are skipped (0: none)")
a = p.parse_args()

dev = torch.device(a.device)
cuda = dev.type == "cuda"
sync = torch.cuda.synchronize if cuda else (lambda: None)
if cuda:
    torch.backends.cuda.enable_cudnn_sdp(False)
gpu = torch.cuda.get_device_name(dev) if cuda else None
peak = peak_flops(gpu) if gpu else None


def log(*x):
    print(*x, file=sys.stderr, flush=True)


with open(a.train, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
texts = [r["text"] for r in rows]
label_names = sorted({r["label"] for r in rows})
labels = [label_names.index(r["label"]) for r in rows]
_tok_cache = {}


def tokenized(model_dir, max_length):
    key = (open(os.path.join(model_dir, "vocab.txt"), "rb").read(), max_length)
    if key not in _tok_cache:
        tok = BertTokenizerFast.from_pretrained(model_dir)
        _tok_cache[key] = tok(texts, truncation=True, max_length=max_length)["input_ids"]
    return _tok_cache[key]


def length_grouped_order(lengths, bs, n_batches, seed):
    """Batches of indices: per epoch, shuffle, mega-batches of 50*bs sorted by length (longest
    first), cut into batches, batch order shuffled; epochs repeat until n_batches."""
    rng = random.Random(seed)
    out = []
    while len(out) < n_batches:
        idx = list(range(len(lengths)))
        rng.shuffle(idx)
        batches = []
        for m in range(0, len(idx), 50 * bs):
            mega = sorted(idx[m:m + 50 * bs], key=lambda i: -lengths[i])
            batches += [mega[b:b + bs] for b in range(0, len(mega), bs)]
        rng.shuffle(batches)
        out += batches
    return out[:n_batches]


def make_batches(ids, order):
    out = []
    for idx in order:
        n = max(len(ids[i]) for i in idx)
        x = torch.zeros(len(idx), n, dtype=torch.long)
        m = torch.zeros(len(idx), n, dtype=torch.long)
        for r, i in enumerate(idx):
            x[r, :len(ids[i])] = torch.tensor(ids[i])
            m[r, :len(ids[i])] = 1
        y = torch.tensor([labels[i] for i in idx])
        if cuda:
            x, m, y = x.pin_memory(), m.pin_memory(), y.pin_memory()
        out.append((x, m, y, sum(len(ids[i]) for i in idx), len(idx) * n))
    return out


def build_model(model_dir):
    torch.manual_seed(a.seed)  # the weights are the saved ones; the seed fixes dropout
    model = BertForSequenceClassification.from_pretrained(model_dir, attn_implementation="sdpa")
    return model.float().to(dev)  # no dtype argument (its name differs in transformers 4 and 5)


def run_one(model_name, precision, max_length, variant):
    rec = {"system": "transformers", "model": model_name, "precision": precision,
           "max_length": max_length, "variant": variant, "gpu": gpu, "peak_flops": peak,
           "batch_size": a.batch_size}
    t_setup = time.time()
    model_dir = os.path.join(a.models, model_name)
    ids = tokenized(model_dir, max_length)
    lengths = [len(s) for s in ids]
    steps, bs = a.steps, a.batch_size
    batches = make_batches(ids, length_grouped_order(lengths, bs, steps, a.seed))
    model = build_model(model_dir)
    cfg = model.config
    rec["flops_per_sample"] = mean_train_flops(lengths, cfg.to_dict())
    rec["attn_implementation"] = getattr(cfg, "_attn_implementation", None)
    rec["tf32_matmul"] = torch.backends.cuda.matmul.allow_tf32
    rec["float32_matmul_precision"] = torch.get_float32_matmul_precision()
    rec["cudnn_sdp"] = torch.backends.cuda.cudnn_sdp_enabled()
    decay, no_decay = [], []
    for n, prm in model.named_parameters():
        (no_decay if n.endswith(".bias") or "LayerNorm" in n or prm.dim() < 2 else decay).append(prm)
    params = decay + no_decay
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr, fused=True)
    sched = get_linear_schedule_with_warmup(opt, math.ceil(a.warmup_ratio * steps), steps)
    if variant == "compile":
        torch._dynamo.reset()
    fwd = torch.compile(model) if variant == "compile" else model
    model.train()
    amp = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=precision == "bf16")
    loss_acc = torch.zeros((), device=dev)
    windows = []  # (first step - 1, last step, samples, seconds, real tokens, padded tokens)
    w = [0, 0, 0, 0]  # steps, samples, tokens, padded
    rec["setup_seconds"] = time.time() - t_setup
    sync()
    t_prev = time.perf_counter()
    for step in range(1, steps + 1):
        x, m, y, ntok, npad = batches[step - 1]
        x = x.to(dev, non_blocking=True)
        m = m.to(dev, non_blocking=True)
        y = y.to(dev, non_blocking=True)
        with amp:
            logits = fwd(input_ids=x, attention_mask=m).logits
        loss = F.cross_entropy(logits.float(), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        loss_acc += loss.detach()
        w[0] += 1
        w[1] += len(y)
        w[2] += ntok
        w[3] += npad
        if step % a.log_every == 0 or step == steps:
            sync()
            mean_loss = loss_acc.item() / w[0]
            t = time.perf_counter()
            windows.append((step - w[0], step, w[1], t - t_prev, w[2], w[3]))
            log(f"{model_name} {precision} {max_length} {variant} step {step} loss {mean_loss:.4f} "
                f"{w[1] / (t - t_prev):.1f} samples/s")
            rec["final_loss"] = mean_loss
            loss_acc.zero_()
            w = [0, 0, 0, 0]
            t_prev = t
    steady = [x for x in windows if x[0] >= a.warmup_steps]
    tot = lambda ws, i: sum(x[i] for x in ws)
    rec["steps"] = steps
    rec["steady_steps"] = tot(steady, 1) - tot(steady, 0)
    rec["train_samples_per_s"] = tot(steady, 2) / tot(steady, 3) if steady else None
    rec["tokens_per_s"] = tot(steady, 4) / tot(steady, 3) if steady else None
    rec["all_steps_samples_per_s"] = tot(windows, 2) / tot(windows, 3)
    rec["all_steps_tokens_per_s"] = tot(windows, 4) / tot(windows, 3)
    rec["padding_fraction"] = 1 - tot(windows, 4) / tot(windows, 5)
    rec["train_seconds"] = tot(windows, 3)
    warm = [x for x in windows if x[1] <= a.warmup_steps]
    rec["warmup_seconds"] = tot(warm, 3)
    if variant == "compile":
        per_step = tot(steady, 3) / max(1, rec["steady_steps"]) if steady else 0.0
        rec["compile_seconds"] = rec["warmup_seconds"] - per_step * (tot(warm, 1) - tot(warm, 0))
        try:
            from torch._dynamo.utils import counters
            rec["compiled_graphs"] = counters["stats"]["unique_graphs"]
        except Exception:  # internal API: only informative
            pass
    rec["window_seconds"] = [round(x[3], 4) for x in windows]
    rec["mfu"] = (rec["train_samples_per_s"] * rec["flops_per_sample"] / peak
                  if peak and rec["train_samples_per_s"] else None)
    if cuda:
        rec["max_memory_gib"] = torch.cuda.max_memory_allocated(dev) / 2**30
    del fwd, model, opt, sched, batches
    return rec


meta = {"torch": torch.__version__, "transformers": transformers.__version__, "steps": a.steps}
log("hf_gpu_train:", json.dumps(meta), "gpu:", gpu)
for spec in [s for s in a.runs.replace(" ", ",").split(",") if s]:
    parts = spec.split(":")
    model_name, precision, max_length = parts[0], parts[1], int(parts[2])
    variant = parts[3] if len(parts) > 3 else "eager"
    if a.deadline and time.time() > a.deadline:
        print(json.dumps({"system": "transformers", "model": model_name, "precision": precision,
                          "max_length": max_length, "variant": variant, "gpu": gpu,
                          "skipped": "time budget spent"}), flush=True)
        continue
    try:
        rec = run_one(model_name, precision, max_length, variant)
    except Exception as e:  # one failed configuration must not stop the others
        traceback.print_exc()
        rec = {"system": "transformers", "model": model_name, "precision": precision,
               "max_length": max_length, "variant": variant, "gpu": gpu,
               "error": f"{type(e).__name__}: {e}"[:500]}
    rec.update({k: v for k, v in meta.items() if k != "steps"})
    print(json.dumps(rec), flush=True)
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(dev)
