"""Per-op table of one profiled training step, from a Chrome trace written by Berth
(`--set train.profile_step=N`: <run_dir>/profile-step-N-rank-0.json) or by bench/hf_train.py
(`--profile FILE`). Both record "forward", "backward" and "optimizer" ranges around the phases.

Each op's *self* time (its duration minus that of the ops it called) is put into one category
(GEMM, softmax, LayerNorm, GELU, dropout, embedding, optimizer kernels, copies/fills, other
elementwise, autograd/dispatch overhead) and one phase. GEMM FLOPs come from the recorded input
shapes, so the table also gives the GEMMs' own rate; with --peak (GFLOP/s, bench/gemm_peak.py) it
gives that rate and the step's model FLOPs as a share of the peak.

Usage: python3 bench/profile_table.py TRACE.json [--peak 165] [--markdown]
Prints a Markdown table (and a JSON summary line with --json).
"""
import argparse
import json
from collections import defaultdict

p = argparse.ArgumentParser()
p.add_argument("trace")
p.add_argument("--peak", type=float, default=0.0, help="fp32 GEMM peak in GFLOP/s")
p.add_argument("--json", action="store_true")
a = p.parse_args()

PHASES = ("forward", "backward", "optimizer")
GEMM = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::_addmm_activation"}


def category(name):
    n = name.lower()
    if name in GEMM:
        return "GEMM"
    if "softmax" in n:
        return "softmax"
    if "layer_norm" in n:
        return "LayerNorm"
    if "gelu" in n:
        return "GELU"
    if "dropout" in n or "bernoulli" in n:
        return "dropout"
    if "embedding" in n or "index_add" in n or "index_select" in n:
        return "embedding"
    if "adam" in n or n.startswith("aten::_foreach") or "norm" in n and "layer" not in n:
        return "optimizer kernels (AdamW, clip)"
    if n in ("aten::copy_", "aten::clone", "aten::contiguous", "aten::fill_", "aten::zero_",
             "aten::zeros", "aten::zeros_like", "aten::empty", "aten::empty_like", "aten::cat",
             "aten::_to_copy", "aten::to", "aten::empty_strided", "aten::resize_",
             "aten::reshape", "aten::_reshape_alias", "aten::stack", "aten::ones_like",
             "aten::masked_fill", "aten::masked_fill_", "aten::new_zeros", "aten::new_empty"):
        return "copies, fills, allocation"
    if n.startswith("aten::") and any(k in n for k in (
            "add", "mul", "div", "sub", "tanh", "where", "sum", "exp", "neg", "sqrt", "pow",
            "lerp", "addcmul", "addcdiv", "clamp", "threshold", "mean", "log")):
        return "other elementwise / reductions"
    if n.startswith("aten::"):
        return "other ATen ops (views, dispatch)"
    return "autograd engine and framework"


def gemm_flops(name, dims):
    try:
        if name == "aten::mm":
            (m, k), (_, n) = dims[0], dims[1]
            return 2.0 * m * k * n
        if name in ("aten::addmm", "aten::_addmm_activation"):
            (m, k), (_, n) = dims[1], dims[2]
            return 2.0 * m * k * n
        if name == "aten::bmm":
            (b, m, k), (_, _, n) = dims[0], dims[1]
            return 2.0 * b * m * k * n
        if name == "aten::baddbmm":
            (b, m, k), (_, _, n) = dims[1], dims[2]
            return 2.0 * b * m * k * n
    except (ValueError, IndexError, TypeError):
        pass
    return 0.0


with open(a.trace) as f:
    raw = json.load(f)
events = [e for e in raw.get("traceEvents", raw) if e.get("ph") == "X" and "dur" in e]
# Phase ranges (user annotations), on whichever thread recorded them.
ranges = [(float(e["ts"]), float(e["ts"]) + float(e["dur"]), e["name"])
          for e in events if e["name"] in PHASES]
if not ranges:
    raise SystemExit(f"{a.trace}: no forward/backward/optimizer ranges (not a step profile?)")


def phase_of(ts):
    for lo, hi, name in ranges:
        if lo <= ts <= hi:
            return name
    return None


ops = [e for e in events if e.get("cat") in ("cpu_op", "user_annotation", "python_function",
                                               "cpu_instant_event", None) or "cat" not in e]
ops = [e for e in ops if e.get("cat") != "python_function"]
by_tid = defaultdict(list)
for e in ops:
    by_tid[(e.get("pid"), e.get("tid"))].append(e)

self_time = defaultdict(float)  # (phase, category) -> us
gemm = defaultdict(float)  # flops, us
op_self = defaultdict(float)
for evs in by_tid.values():
    evs.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
    stack = []  # [end, event, child time]
    results = []

    def close(item):
        end, e, child = item
        results.append((e, float(e["dur"]) - child))
        if stack:
            stack[-1][2] += float(e["dur"])

    for e in evs:
        ts = float(e["ts"])
        while stack and stack[-1][0] <= ts:
            close(stack.pop())
        stack.append([ts + float(e["dur"]), e, 0.0])
    while stack:
        close(stack.pop())
    for e, st in results:
        ph = phase_of(float(e["ts"]))
        if ph is None:
            continue
        if e["name"] in PHASES:
            cat = "autograd engine and framework"  # time in a range outside any recorded op
        else:
            cat = category(e["name"])
        self_time[(ph, cat)] += st
        op_self[e["name"]] += st
        if cat == "GEMM":
            gemm["flops"] += gemm_flops(e["name"], (e.get("args") or {}).get("Input Dims", []))
            gemm["us"] += st

phase_total = {ph: sum(hi - lo for lo, hi, n in ranges if n == ph) for ph in PHASES}
step_us = sum(phase_total.values())
cats = sorted({c for _, c in self_time}, key=lambda c: -sum(self_time[(ph, c)] for ph in PHASES))
print(f"| category | " + " | ".join(f"{ph} ms" for ph in PHASES) + " | step ms | share |")
print("| --- | " + " | ".join("---:" for _ in PHASES) + " | ---: | ---: |")
for c in cats:
    row = [self_time[(ph, c)] / 1e3 for ph in PHASES]
    tot = sum(row)
    print(f"| {c} | " + " | ".join(f"{v:.1f}" for v in row) + f" | {tot:.1f} | {100 * tot * 1e3 / step_us:.1f} % |")
print("| **phase total** | " + " | ".join(f"{phase_total[ph] / 1e3:.1f}" for ph in PHASES)
      + f" | {step_us / 1e3:.1f} | 100 % |")
g_rate = gemm["flops"] / max(gemm["us"], 1e-9) / 1e3  # GFLOP/s
summary = {"trace": a.trace, "step_ms": round(step_us / 1e3, 1),
           "gemm_ms": round(gemm["us"] / 1e3, 1), "gemm_gflop": round(gemm["flops"] / 1e9, 2),
           "gemm_gflops_rate": round(g_rate, 1),
           "step_gflops_rate": round(gemm["flops"] / step_us / 1e3, 1)}
if a.peak:
    summary["gemm_share_of_peak"] = round(g_rate / a.peak, 3)
    summary["mfu_gemm_flops"] = round(gemm["flops"] / step_us / 1e3 / a.peak, 3)
print()
print("Top ops by self time (ms): " + ", ".join(
    f"{n} {t / 1e3:.1f}" for n, t in sorted(op_self.items(), key=lambda kv: -kv[1])[:12]))
print(json.dumps(summary))
