"""MKL's packed sgemm API against torch's linear, one GEMM at a time (BENCHMARKS.md, "fp32 batch-1
latency: weights packed once", "What was tried first").

usage: .venv/bin/python bench/mkl_pack_probe.py [THREADS=1]

Calls cblas_sgemm_pack / cblas_sgemm_compute, which the torch wheel's libtorch_cpu exports, through
ctypes for the default model's four linear shapes, packed for 1 and for 128 rows, at 1, 25 and 64
rows; prints the packed buffer's size over the weight's (size/W), the largest difference from
torch.nn.functional.linear and both times (us per call, 1,000 calls after 50 warm-up).
"""
import ctypes
import os
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv)>1 else 1)
lib = ctypes.CDLL(os.path.join(os.path.dirname(torch.__file__), 'lib', 'libtorch_cpu.so'))
RowMajor, NoTrans, Trans, BMatrix = 101, 111, 112, 162
lib.cblas_sgemm_pack_get_size.restype = ctypes.c_size_t
lib.cblas_sgemm_pack_get_size.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
lib.cblas_sgemm_pack.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_float, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
lib.cblas_sgemm_compute.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_float, ctypes.c_void_p, ctypes.c_int]
PACKED=151
def bench(f, reps=1000):
    for _ in range(50): f()
    t=time.perf_counter()
    for _ in range(reps): f()
    return (time.perf_counter()-t)/reps*1e6
for (N,K) in ((1152,384),(384,384),(1536,384),(384,1536)):
    W=torch.randn(N,K); b=torch.randn(N)
    for pm in (1,128):
        size=lib.cblas_sgemm_pack_get_size(BMatrix, pm, N, K)
        buf=torch.empty(size//4+16)
        # C(M,N) = X(M,K) * W^T : B = W^T, pass W with Trans, ldb=K
        lib.cblas_sgemm_pack(RowMajor, BMatrix, Trans, pm, N, K, 1.0, W.data_ptr(), K, buf.data_ptr())
        for M in (1, 25, 64):
            x=torch.randn(M,K)
            out=b.expand(M,N).contiguous()
            def run():
                out.copy_(b.expand(M,N))
                lib.cblas_sgemm_compute(RowMajor, NoTrans, PACKED, M, N, K, x.data_ptr(), K, buf.data_ptr(), N, 1.0, out.data_ptr(), N)
            run()
            ref=torch.nn.functional.linear(x,W,b)
            err=(out-ref).abs().max().item()
            print(N,K,"pack_m",pm,"M",M,"size/W %.2f"%(size/4/W.numel()),"err %.1e"%err, "packed %.1f us"%bench(run), "linear %.1f us"%bench(lambda: torch.nn.functional.linear(x,W,b)))
