"""One dynamic int8 linear (LibTorch's quantized::linear_dynamic, the op model/int8_linear.cpp
calls) per engine and row count: fbgemm with 7-bit activations (reduce_range, Berth's fbgemm
path), fbgemm with 8-bit ones, and oneDNN (8-bit), on the same per-channel int8 weights.

usage: int8_gemm_rows.py THREADS ROUNDS IN OUT [ROWS...]
  Microseconds per call, median over ROUNDS interleaved rounds (each round: every engine and row
  count in turn, 200 ms of calls each after a warm-up that builds oneDNN's primitive), with the
  min-max; one JSON line per (rows, engine) then a Markdown table. Run it under bench/no_amx to
  see the kernels of a CPU without AMX (oneDNN then takes its AVX-512 VNNI ones).
"""

import json
import statistics
import sys
import time

import torch


def pack(engine, w, b):
    torch.backends.quantized.engine = engine
    scales = (w.abs().amax(1) / 127.0).clamp_min(1e-8).double()
    q = torch.quantize_per_channel(w, scales, torch.zeros(w.size(0), dtype=torch.long), 0,
                                   torch.qint8)
    return torch.ops.quantized.linear_prepack(q, b)


def time_call(fn, budget_s=0.2):
    fn()
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        t = time.perf_counter() - t0
        if t >= budget_s:
            return 1e6 * t / n


def main():
    threads, rounds, n_in, n_out = (int(a) for a in sys.argv[1:5])
    rows = [int(r) for r in sys.argv[5:]] or [1, 8, 16, 32, 64, 128, 256, 512]
    torch.set_num_threads(threads)
    torch.manual_seed(3)
    w, b = torch.randn(n_out, n_in) * 0.05, torch.randn(n_out) * 0.1
    variants = {
        "fbgemm 7-bit": (pack("fbgemm", w, b), True),
        "fbgemm 8-bit": (pack("fbgemm", w, b), False),
        "onednn 8-bit": (pack("onednn", w, b), False),
    }
    xs = {r: torch.randn(r, n_in) for r in rows}
    times = {(r, v): [] for r in rows for v in variants}
    with torch.inference_mode():
        for _ in range(rounds):
            for r in rows:
                for v, (packed, reduce) in variants.items():
                    times[(r, v)].append(time_call(
                        lambda: torch.ops.quantized.linear_dynamic(xs[r], packed, reduce)))
    for (r, v), t in times.items():
        print(json.dumps({"rows": r, "engine": v, "us": t, "threads": threads, "in": n_in,
                          "out": n_out}))
    print("\n| rows | " + " | ".join(variants) + " | fbgemm 7-bit time / oneDNN time |")
    print("| ---: |" + " ---: |" * (len(variants) + 1))
    for r in rows:
        med = {v: statistics.median(times[(r, v)]) for v in variants}
        cells = ["%.1f (%.1f-%.1f)" % (med[v], min(times[(r, v)]), max(times[(r, v)]))
                 for v in variants]
        print("| %d | %s | %.2fx |" % (r, " | ".join(cells),
                                       med["fbgemm 7-bit"] / med["onednn 8-bit"]))


if __name__ == "__main__":
    main()
