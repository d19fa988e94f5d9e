"""The fp32 GEMM peak of this machine, the denominator of the MFU figures in BENCHMARKS.md, and
the rate LibTorch's GEMM reaches at the shapes of one training step of models/default (tokens x
384 x 384/1536, forward and both backward products), so the gap between the two is visible.

Each figure: the best of `--repeats` timings of `--iters` back-to-back torch.mm calls (the best,
because on a shared machine other processes only ever slow a run down). Prints one JSON line per
shape and a final {"peak_gflops": ...} line (the best large square product).
Usage: .venv/bin/python bench/gemm_peak.py [--threads 2] [--tokens 800] [--repeats 5]
"""
import argparse
import json
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--tokens", type=int, default=800, help="rows of the activations (batch x length)")
p.add_argument("--repeats", type=int, default=5)
p.add_argument("--iters", type=int, default=0, help="0: about 0.3 s of work per timing")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def rate(m, k, n, trans_a=False, trans_b=False):
    x = torch.randn(k, m).t() if trans_a else torch.randn(m, k)
    w = torch.randn(n, k).t() if trans_b else torch.randn(k, n)
    out = torch.empty(m, n)
    flops = 2.0 * m * k * n
    iters = a.iters or max(3, int(0.3 * 150e9 / flops))
    torch.mm(x, w, out=out)
    best = float("inf")
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(iters):
            torch.mm(x, w, out=out)
        best = min(best, (time.perf_counter() - t0) / iters)
    return flops / best / 1e9


t = a.tokens
shapes = [
    # name, m, k, n, a transposed, b transposed
    ("square 1024", 1024, 1024, 1024, False, False),
    ("square 2048", 2048, 2048, 2048, False, False),
    ("fwd x W^T: tokens x 384 -> 384 (q, k, v, attn out)", t, 384, 384, False, True),
    ("fwd x W^T: tokens x 384 -> 1536 (intermediate)", t, 384, 1536, False, True),
    ("fwd x W^T: tokens x 1536 -> 384 (output)", t, 1536, 384, False, True),
    ("fwd fused qkv: tokens x 384 -> 1152", t, 384, 1152, False, True),
    ("bwd dX = dY W: tokens x 1536 -> 384", t, 1536, 384, False, False),
    ("bwd dW = dY^T X: 1536 x tokens -> 384", 1536, t, 384, True, False),
    ("bwd dW = dY^T X: 384 x tokens -> 384", 384, t, 384, True, False),
]
peak = 0.0
for name, m, k, n, ta, tb in shapes:
    g = rate(m, k, n, ta, tb)
    if name.startswith("square"):
        peak = max(peak, g)
    print(json.dumps({"shape": name, "m": m, "k": k, "n": n, "gflops": round(g, 1)}))
print(json.dumps({"peak_gflops": round(peak, 1), "threads": a.threads, "torch": torch.__version__,
                  "blas": "mkl" if torch.backends.mkl.is_available() else "other"}))
