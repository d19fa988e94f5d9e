"""Reference for the optimizer tests: torch.optim.AdamW + transformers' schedules.

Parameters and gradients are made by the same torch kernels the C++ test uses (arange, sin, cos),
so both sides start from bit-identical tensors. Prints JSON: lrs used at each step, final params.
Usage: optim_oracle.py SCHEDULE WARMUP TOTAL STEPS LR WD
"""
import json
import sys

import torch
from transformers import (get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup,
                          get_linear_schedule_with_warmup)

kind, warmup, total, steps, lr, wd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(
    sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
torch.set_num_threads(1)
w = torch.nn.Parameter(torch.arange(12, dtype=torch.float32).mul(0.37).sin().reshape(3, 4))
b = torch.nn.Parameter(torch.arange(4, dtype=torch.float32).mul(0.11).cos())
opt = torch.optim.AdamW([{"params": [w], "weight_decay": wd}, {"params": [b], "weight_decay": 0.0}],
                        lr=lr, betas=(0.9, 0.999), eps=1e-8)
make = {"linear": get_linear_schedule_with_warmup, "cosine": get_cosine_schedule_with_warmup}
if kind == "constant":
    sched = get_constant_schedule_with_warmup(opt, warmup)
else:
    sched = make[kind](opt, warmup, total)
lrs = []
for k in range(steps):
    w.grad = torch.arange(12, dtype=torch.float32).add(k).mul(0.7).cos().reshape(3, 4)
    b.grad = torch.arange(4, dtype=torch.float32).add(k).mul(1.3).sin()
    lrs.append(opt.param_groups[0]["lr"])
    opt.step()
    sched.step()
print(json.dumps({"lrs": lrs, "w": w.detach().flatten().tolist(), "b": b.detach().tolist()}))
