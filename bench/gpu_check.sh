#!/usr/bin/env bash
# The GPU checks, run on a lent GPU machine (CUDA + PyTorch 2.11 cu130 + transformers, nothing of
# Berth's other dependencies) from the repository root, with .device/ made here beforehand by
# scripts/device_bundle.sh:
#   1. the gpu-labelled tests (build/distributed_gpu_tests: CUDA against CPU, bf16/fp16, resume,
#      predict, NCCL through mpirun; the two-GPU ones skip on one GPU);
#   2. training throughput on the GPU, Berth against the same recipe in transformers
#      (bench/hf_train.py --device cuda) on sst2 train, batch 32, max length 64, for the default
#      model's architecture (MiniLM-L6-H384) and BERT-base, with random weights (the weights
#      do not change the speed; the default model's 87 MB file is not carried).
# Results go to $OUT (or /tmp/gpu-check): gpu_tests.xml, throughput.jsonl, check.log, logs.tgz.
# usage: bench/gpu_check.sh [STEPS=200] [RUNS (default: all, see below)]
#   SKIP_TESTS=1: throughput only; GPU_TEST_FILTER: a gtest filter for the tests; BERTH_BENCH_DEVICE=cpu: a dry run of the plumbing.
set -uo pipefail
steps=${1:-200}
device=${BERTH_BENCH_DEVICE:-cuda}
root=$PWD
B=$root/.device
out=${OUT:-/tmp/gpu-check}
logs=/tmp/gpu-logs  # per-run logs, packed into $out/logs.tgz at the end (few files come back)
mkdir -p "$out" "$logs"
exec > >(tee -a "$out/check.log") 2>&1
[[ -x $B/bin/berth ]] || { echo "no .device/: run scripts/device_bundle.sh here first"; exit 2; }

py=$(command -v python3)
sp=$($py -c 'import torch, os; print(os.path.dirname(os.path.dirname(torch.__file__)))')
lib="$sp/torch/lib:$sp/nvidia/nccl/lib:$sp/nvidia/cu13/lib"
# Open MPI: the machine's own if it has one (libmpi.so.40 + mpirun), else Debian's from the bundle
# under its original paths (copied only where nothing exists).
# Not grep -q: it would end ldconfig early, and under pipefail SIGPIPE reads as "no match".
if command -v mpirun >/dev/null && ldconfig -p | grep 'libmpi.so.40 ' >/dev/null; then
  mpirun_bin=$(command -v mpirun)
  echo "MPI: the machine's ($mpirun_bin)"
else
  cp -an "$B/root/." /
  mpirun_bin=/usr/bin/orterun
  lib="$lib:$B/mpilib"
  echo "MPI: Debian's Open MPI from the bundle"
fi
# Bundled libraries come last: the machine's own win where both exist.
export LD_LIBRARY_PATH="$lib:$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_mca_base_component_show_load_errors=0
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
$py -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
echo "missing libraries: $(ldd "$B/bin/berth" | grep -c 'not found')"
ldd "$B/bin/berth" | grep 'not found'

if [[ -z ${SKIP_TESTS:-} ]]; then
echo "== gpu tests"
BERTH_BINARY=$B/bin/berth BERTH_PYTHON=$py BERTH_DEFAULT_MODEL=$B/model BERTH_SOURCE_DIR=$root \
  BERTH_MPIRUN=$mpirun_bin timeout 300 "$B/bin/distributed_gpu_tests" \
  --gtest_filter="${GPU_TEST_FILTER:-*}" --gtest_output="xml:$out/gpu_tests.xml" 2>&1 | grep -v '^\[ RUN'
echo "gpu tests exit status: ${PIPESTATUS[0]}"
fi

echo "== throughput ($steps steps)"
models=/tmp/gpu-models
$py - "$B/model" "$models" <<'EOF'
import json, shutil, sys, torch
from transformers import BertConfig, BertForSequenceClassification
tok, out = sys.argv[1], sys.argv[2]
base = json.load(open(f"{tok}/config.json"))
shapes = {"minilm-l6-h384": {}, "bert-base": dict(hidden_size=768, num_hidden_layers=12,
                                                  num_attention_heads=12, intermediate_size=3072)}
for name, over in shapes.items():
    torch.manual_seed(0)
    cfg = BertConfig(**{**base, **over, "num_labels": 2})
    BertForSequenceClassification(cfg).save_pretrained(f"{out}/{name}")
    for f in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
        shutil.copy(f"{tok}/{f}", f"{out}/{name}/{f}")
EOF
jsonl=$out/throughput.jsonl
# berth_run MODEL PRECISION LABEL [--set ...]: one training run, its samples/s appended to $jsonl.
berth_run() {
  local model=$1 precision=$2 label=$3
  shift 3
  local run=/tmp/gpu-runs/$model-$precision-$label
  timeout 180 "$B/bin/berth" train --config configs/sst2.toml --resume never \
    --set model.path="'$models/$model'" --set data.train="'$B/data/train.csv'" \
    --set data.dev="''" --set data.test="''" --set data.cache_dir="'/tmp/gpu-cache'" \
    --set train.max_steps=$steps --set train.precision="'$precision'" \
    --set runtime.device=$device --set train.run_dir="'$run'" --set checkpoint.every_minutes=0 \
    --set checkpoint.keep_best=0 "$@" 2> "$logs/berth-$model-$precision-$label.log" >/dev/null
  echo "berth $model $precision $label: exit $?"
  $py -c "
import json
d = [json.loads(l) for l in open('$run/metrics.jsonl') if '\"done\"' in l][-1]
print(json.dumps({'system': 'berth', 'model': '$model', 'precision': '$precision',
  'variant': '$label', 'steps': d['step'],
  'train_samples_per_s': d['samples_seen'] / d['train_seconds']}))" | tee -a "$jsonl"
}
# hf_run MODEL PRECISION LABEL [hf_train.py options]
hf_run() {
  local model=$1 precision=$2 label=$3
  shift 3
  timeout 180 $py bench/hf_train.py --model "$models/$model" --train "$B/data/train.csv" \
    --test "$B/data/dev.csv" --max-steps $steps --epochs 1 --precision $precision \
    --device $device "$@" 2> "$logs/hf-$model-$precision-$label.log" | $py -c "
import json, sys
r = json.loads(sys.stdin.read())
print(json.dumps({'system': 'transformers', 'model': '$model', 'precision': r['precision'],
  'variant': '$label', 'steps': r['steps'], 'train_samples_per_s': r['train_samples_per_s']}))" \
    | tee -a "$jsonl"
}
# A run is SYSTEM:MODEL:PRECISION; SYSTEM is berth (defaults: length bucketing, cuDNN attention
# off), berth-cudnn (cuDNN attention on), berth-nobucket (random batches like transformers'),
# hf (transformers' defaults: cuDNN attention on) or hf-nocudnn.
default_runs=""
for m in minilm-l6-h384 bert-base; do
  for p in bf16 fp32; do
    for sys in berth berth-cudnn berth-nobucket hf hf-nocudnn; do default_runs+=" $sys:$m:$p"; done
  done
done
for r in ${2:-$default_runs}; do
  IFS=: read -r sys model precision <<< "$r"
  case $sys in
    berth) berth_run "$model" "$precision" default ;;
    berth-cudnn) berth_run "$model" "$precision" cudnn --set runtime.cudnn_attention=true ;;
    berth-nobucket) berth_run "$model" "$precision" nobucket --set data.length_bucketing=false ;;
    hf) hf_run "$model" "$precision" default ;;
    hf-nocudnn) hf_run "$model" "$precision" nocudnn --no-cudnn-attention ;;
    *) echo "unknown run $r" ;;
  esac
done
tar czf "$out/logs.tgz" -C "$logs" .
echo "== done"
