#!/usr/bin/env bash
# Issue 17's CPU comparison on a lent GPU machine's host CPU: a second, quiet CPU (this VM's two
# cores move +-30 % minute to minute). Berth (the CUDA build, run with runtime.device=cpu) against
# transformers' length-grouped loop, fp32, THREADS threads each, interleaved, as
# bench/cpu_train_compare.sh does here, plus that CPU's measured fp32 GEMM peak
# (bench/gemm_peak.py). Weights are random (seed 0, the default model's shape): the 87 MB
# pretrained file does not fit what the device tool carries, and weights do not change the speed.
# Run from the repository root there, with .device/ made here by scripts/device_bundle.sh.
# Results under $OUT (or /tmp/device-cpu): cpu_check.log, cpu_train_compare.jsonl, gemm_peak.json.
#
# usage: bench/device_cpu_check.sh [RUNS=3] [ROWS=3200] [THREADS=2]
set -uo pipefail
RUNS=${1:-3}
ROWS=${2:-3200}
THREADS=${3:-2}
B=$PWD/.device
out=${OUT:-/tmp/device-cpu}
mkdir -p "$out"
exec > >(tee -a "$out/cpu_check.log") 2>&1
[[ -x $B/bin/berth ]] || { echo "no .device/: run scripts/device_bundle.sh here first"; exit 2; }
# shellcheck source=bench/device_env.sh
source bench/device_env.sh

echo "== host CPU"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|NUMA node\(s\)|L3|CPU max MHz)'
echo "flags: $(grep -o -w 'avx2\|avx512f\|avx512_bf16\|avx512_vnni\|amx_tile\|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "load: $(cat /proc/loadavg)"
$py -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

model=/tmp/cpu-model
$py - "$B/model" "$model" <<'PYEOF'
import json, shutil, sys, torch
from transformers import BertConfig, BertForSequenceClassification
src, dst = sys.argv[1:3]
torch.manual_seed(0)
cfg = BertConfig(**{**json.load(open(f"{src}/config.json")), "num_labels": 2})
BertForSequenceClassification(cfg).save_pretrained(dst)
for f in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copy(f"{src}/{f}", dst)
PYEOF

echo "== fp32 GEMM peak, $THREADS threads"
$py bench/gemm_peak.py --threads "$THREADS" --tokens 992 | tee "$out/gemm_peak.json"

echo "== training, $RUNS runs each, $ROWS rows, $THREADS threads"
BERTH=$B/bin/berth PY=$py MODEL=$model SRC=$B/data/train.csv DEV=$B/data/dev.csv \
  RESULTS=$out/cpu_train_compare.jsonl SYSTEMS=${SYSTEMS:-berth grouped} LABEL=device-host \
  bench/cpu_train_compare.sh "$RUNS" "$ROWS" "$THREADS"
echo "load after: $(cat /proc/loadavg)"
