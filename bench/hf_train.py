"""The baseline for BENCHMARKS.md: Berth's training recipe run by Hugging Face transformers in
Python on the same machine (model, data, max length, batch size, lr, warm-up ratio + linear decay,
AdamW with weight decay off for biases/LayerNorm, clipping 1.0, epochs, best-by-dev checkpoint
when a dev set is given). Dynamic padding per batch. Batch order: by default transformers'
`group_by_length` order (Trainer's LengthGroupedSampler: a seeded permutation cut into mega-batches
of 50 batches, each sorted by length, the longest first), the order a user who cares about speed
runs; `--order random` gives plain random batches (the earlier comparator, kept as a named row).
AdamW: torch's fused CPU/CUDA kernel by default (Trainer's default optimizer for torch >= 2.8,
"adamw_torch_fused"); `--optim foreach` gives the multi-tensor one.
Any encoder family (config.json's model_type: bert, roberta, xlm-roberta, electra, distilbert,
deberta-v2, modernbert) through the Auto classes; batches are padded with the tokenizer's pad id
(RoBERTa's positions count non-pad ids) and token_type_ids go only to models whose forward takes
them, as tests/python/family_oracle.py does. For BERT this is the loop it always was.

Prints one JSON line: test accuracy and macro-F1, training samples/s (time in forward, backward
and optimizer steps only, as Berth's samples/s), total seconds.
Usage: hf_train.py --model DIR --train CSV [--dev CSV] --test CSV --seed S [--lr 1e-4]
       [--epochs 3] [--batch-size 32] [--max-length 64] [--precision fp32|bf16] [--threads N]
       [--max-steps N] [--device cpu|cuda] [--order grouped|random] [--optim fused|foreach]
       [--profile TRACE.json [--profile-step N]]
--profile writes a Chrome trace of optimizer step N (default 10) from torch.profiler (CPU), for
bench/profile_table.py.
On CUDA the timed region ends with torch.cuda.synchronize(), so queued kernels are counted.
"""
import argparse
import csv
import inspect
import json
import time

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup
from transformers.trainer_pt_utils import get_length_grouped_indices

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--train", required=True)
p.add_argument("--dev", default="")
p.add_argument("--test", required=True)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--lr", type=float, default=1e-4)
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--batch-size", type=int, default=32)
p.add_argument("--eval-batch-size", type=int, default=64)
p.add_argument("--max-length", type=int, default=64)
p.add_argument("--warmup-ratio", type=float, default=0.1)
p.add_argument("--weight-decay", type=float, default=0.01)
p.add_argument("--precision", default="fp32")
p.add_argument("--threads", type=int, default=0)
p.add_argument("--max-steps", type=int, default=-1)
p.add_argument("--device", default="cpu")
p.add_argument("--order", choices=["grouped", "random"], default="grouped")
p.add_argument("--optim", choices=["fused", "foreach"], default="fused")
p.add_argument("--profile", default="")
p.add_argument("--profile-step", type=int, default=10)
p.add_argument("--no-cudnn-attention", action="store_true",
               help="turn PyTorch's cuDNN SDPA backend off (as Berth does on CUDA)")
a = p.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
t_start = time.time()


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


tok = AutoTokenizer.from_pretrained(a.model)
train_x, train_y = read(a.train)
labels = sorted(set(train_y))
lid = {l: i for i, l in enumerate(labels)}
enc = lambda xs: tok(xs, truncation=True, max_length=a.max_length)["input_ids"]
train_ids = enc(train_x)
dev = torch.device(a.device)
if a.no_cudnn_attention:
    torch.backends.cuda.enable_cudnn_sdp(False)
model = AutoModelForSequenceClassification.from_pretrained(a.model, num_labels=len(labels)).to(dev)
# Single texts: every type id is 0, so the models that take them get zeros (BERT's own default).
takes_types = "token_type_ids" in inspect.signature(model.forward).parameters
pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
decay, no_decay = [], []
for n, prm in model.named_parameters():
    (no_decay if n.endswith(".bias") or "LayerNorm" in n or prm.dim() < 2 else decay).append(prm)
opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                         {"params": no_decay, "weight_decay": 0.0}], lr=a.lr,
                        fused=a.optim == "fused", foreach=a.optim == "foreach" or None)
steps_per_epoch = (len(train_ids) + a.batch_size - 1) // a.batch_size
total = a.max_steps if a.max_steps > 0 else a.epochs * steps_per_epoch
warmup = int(-(-a.warmup_ratio * total // 1))
sched = get_linear_schedule_with_warmup(opt, warmup, total)
amp = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.precision == "bf16")
sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)


def batch(ids_list):
    n = max(len(s) for s in ids_list)
    x = torch.full((len(ids_list), n), pad_id, dtype=torch.long)
    m = torch.zeros_like(x)
    for r, s in enumerate(ids_list):
        x[r, :len(s)] = torch.tensor(s)
        m[r, :len(s)] = 1
    return x.to(dev), m.to(dev)


def inputs(x, m):
    kw = {"input_ids": x, "attention_mask": m}
    if takes_types:
        kw["token_type_ids"] = torch.zeros_like(x)
    return kw


def evaluate(path):
    xs, ys = read(path)
    ids = enc(xs)
    model.eval()
    preds = []
    with torch.no_grad(), amp:
        for i in range(0, len(ids), a.eval_batch_size):
            x, m = batch(ids[i:i + a.eval_batch_size])
            preds += model(**inputs(x, m)).logits.float().argmax(1).tolist()
    model.train()
    gold = [lid[y] for y in ys]
    acc = sum(p == g for p, g in zip(preds, gold)) / len(gold)
    f1s = []
    for c in range(len(labels)):
        tp = sum(p == c and g == c for p, g in zip(preds, gold))
        fp = sum(p == c and g != c for p, g in zip(preds, gold))
        fn = sum(p != c and g == c for p, g in zip(preds, gold))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return acc, sum(f1s) / len(f1s)


model.train()
g = torch.Generator().manual_seed(a.seed)
step, train_time, samples, best, best_state = 0, 0.0, 0, None, None
tokens, padded, train_cpu = 0, 0, 0.0
lengths = [len(s) for s in train_ids]
for epoch in range(a.epochs):
    if a.order == "grouped":
        # What Trainer(group_by_length=True) draws per epoch. Trainer's mega-batch is
        # min(n // (4 x batch), 50) batches: 50 for SST-2's 6,920 rows; fixed at 50 here so that
        # the subsets bench/cpu_train_compare.sh trains on are grouped as the full set is.
        order = get_length_grouped_indices(lengths, a.batch_size, mega_batch_mult=50, generator=g)
    else:
        order = torch.randperm(len(train_ids), generator=g).tolist()
    for i in range(0, len(order), a.batch_size):
        if step >= total:
            break
        idx = order[i:i + a.batch_size]
        x, m = batch([train_ids[j] for j in idx])
        y = torch.tensor([lid[train_y[j]] for j in idx]).to(dev)
        prof = None
        if a.profile and step == a.profile_step:
            prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
            prof.__enter__()
        sync()
        t0, c0 = time.time(), time.process_time()
        with torch.profiler.record_function("forward"):
            with amp:
                logits = model(**inputs(x, m)).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), y)
        with torch.profiler.record_function("backward"):
            loss.backward()
        with torch.profiler.record_function("optimizer"):
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
        sync()
        if prof is not None:
            # The profiled step runs slower (the profiler's own cost): not counted as training.
            prof.__exit__(None, None, None)
            prof.export_chrome_trace(a.profile)
        else:
            train_time += time.time() - t0
            train_cpu += time.process_time() - c0
            samples += len(idx)
            tokens += int(m.sum())
            padded += m.numel()
        step += 1
    if a.dev:
        acc, _ = evaluate(a.dev)
        if best is None or acc > best:
            best, best_state = acc, {k: v.clone() for k, v in model.state_dict().items()}
if best_state is not None:
    model.load_state_dict(best_state)
acc, f1 = evaluate(a.test)
print(json.dumps({"system": "transformers", "seed": a.seed, "test_accuracy": acc, "test_macro_f1": f1,
                  "dev_best_accuracy": best, "steps": step, "train_samples_per_s": samples / train_time,
                  "seconds": time.time() - t_start, "precision": a.precision, "order": a.order,
                  "optim": a.optim, "threads": torch.get_num_threads(), "train_tokens": tokens,
                  "padded_tokens": padded, "train_cpu_seconds": train_cpu}))
