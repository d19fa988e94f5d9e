"""LibTorch's fbgemm dynamic int8 linear against its quantization written out: per-channel
symmetric int8 weights (max |w| / 127), activations per tensor in 7 bits (reduce_range) with the
scale and zero point in double as ChooseQuantizationParams computes them, exact integer sums.
BENCHMARKS.md ("int8 on Berth's VNNI kernel") quotes it: Berth's VNNI kernel implements the same
formula (PackedInt8Gemm.MatchesTheQuantizationWrittenInAten), so matching it here means the two
agree up to fbgemm's own rounding ties.

Usage: .venv/bin/python bench/fbgemm_quant_check.py [THREADS=1] [ROWS=96,800]
Prints one JSON line per row count: the largest output difference and how many rows differ by
more than 1e-4.
"""
import json
import sys

import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
row_counts = [int(r) for r in (sys.argv[2] if len(sys.argv) > 2 else "96,800").split(",")]
torch.set_num_threads(threads)
torch.backends.quantized.engine = "fbgemm"
torch.manual_seed(0)
for rows in row_counts:
    k = n = 384
    w, b, x = torch.randn(n, k) * 0.05, torch.randn(n), torch.randn(rows, k)
    scale_w = (w.abs().amax(1) / 127).clamp_min(1e-8).double()
    qw = torch.quantize_per_channel(w, scale_w, torch.zeros(n, dtype=torch.long), 0, torch.qint8)
    y = torch.ops.quantized.linear_dynamic(x, torch.ops.quantized.linear_prepack(qw, b), True)
    lo, hi = min(0.0, x.min().item()), max(0.0, x.max().item())
    wide = (hi - lo) / 127
    scale = torch.tensor(wide, dtype=torch.float32).item()
    zp = int(min(max(round(-lo / wide), 0), 127))
    xq = (torch.round(x * torch.tensor(1.0 / scale, dtype=torch.float32)) + zp).clamp(0, 127)
    wq = torch.round(w / scale_w.float().unsqueeze(1)).clamp(-127, 127)
    want = ((xq - zp).double() @ wq.double().t()) * scale * scale_w + b.double()
    diff = (y.double() - want).abs()
    print(json.dumps({"rows": rows, "threads": threads, "max_abs_diff": diff.max().item(),
                      "rows_off_by_1e-4": int((diff.max(1).values > 1e-4).sum())}))
