#!/usr/bin/env bash
# The GPU checks, run on a lent GPU machine (CUDA + PyTorch 2.11 cu130 + transformers, nothing of
# Berth's other dependencies) from the repository root, with .device/ made here beforehand by
# scripts/device_bundle.sh:
#   1. the gpu-labelled tests (build/distributed_gpu_tests: CUDA against CPU, bf16/fp16, resume,
#      predict, NCCL through mpirun; on one GPU the two two-GPU tests are left out unless
#      GPU_TEST_FILTER is given);
#   2. training throughput on one GPU, all in this one run: sst2 train, batch 32, max length 64 and
#      128, the default model's architecture (MiniLM-L6-H384) and BERT-base with random weights
#      (the weights do not change the speed; the default model's 87 MB file is not carried):
#      a. Berth, default settings ("default"), bf16 and fp32; for bf16 also each lever off in turn
#         ("no_graphs": runtime.cuda_graphs=false, "no_fused_adamw": optim.fused=false,
#         "no_prefetch": data.prefetch=false) and all three off ("eager_baseline_like");
#      b. the strongest eager loop in transformers (bench/hf_gpu_train.py), all configurations in
#         one process ("eager");
#      c. the same with torch.compile ("compile"), bf16 only, last, each under a timeout, skipped
#         once GPU_BUDGET_S seconds since the start have passed.
#    Timing contract and MFU formula: bench/gpu_summary.py (steps 1-20 are warm-up; rates over the
#    10-step windows after step 20, and over all steps).
# Results go to $OUT (or /tmp/gpu-check): throughput.jsonl (one JSON line per run), summary.md (the
# tables for BENCHMARKS.md, also printed at the end), flops.json, gpu_tests.xml, check.log, logs.tgz.
#
# usage: bench/gpu_check.sh [STEPS=150] [RUNS]
#   RUNS (or env RUNS): runs separated by spaces or commas, each SYSTEM:MODEL:PRECISION:LENGTH[:VARIANT]
#     with SYSTEM berth (VARIANT default|no_graphs|no_fused_adamw|no_prefetch|eager_baseline_like)
#     or hf (VARIANT eager|compile); MODEL minilm-l6-h384|bert-base (|tiny on the CPU).
#   SKIP_TESTS=1: throughput only; GPU_TEST_FILTER: a gtest filter for the tests;
#   BERTH_BENCH_DEVICE=cpu: a dry run of the plumbing on the CPU (adds the model shape "tiny");
#   GPU_BUDGET_S (480): no compile run starts later than this since the start;
#   GPU_HARD_LIMIT_S (570): no run starts later, and runs are cut there (the device tool stops a
#     command at 600 s); WARMUP_STEPS (20): for dry runs with few steps only.
set -uo pipefail
t0=$SECONDS
steps=${1:-150}
runs_arg=${2:-${RUNS:-}}
device=${BERTH_BENCH_DEVICE:-cuda}
budget=${GPU_BUDGET_S:-480}
hard=${GPU_HARD_LIMIT_S:-570}
warm=${WARMUP_STEPS:-20}
root=$PWD
B=$root/.device
out=${OUT:-/tmp/gpu-check}
logs=/tmp/gpu-logs  # per-run logs, packed into $out/logs.tgz (few files come back)
rm -rf "$logs" /tmp/gpu-runs
mkdir -p "$out" "$logs"
exec > >(tee -a "$out/check.log") 2>&1
[[ -x $B/bin/berth ]] || { echo "no .device/: run scripts/device_bundle.sh here first"; exit 2; }
el() { echo $((SECONDS - t0)); }
say() { echo "[$(el)s] $*"; }

# shellcheck source=bench/device_env.sh
source bench/device_env.sh

echo "== machine"
gpu_name="" n_gpus=0
if [[ $device == cuda ]]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
  n_gpus=$(nvidia-smi --query-gpu=name --format=csv,noheader | grep -c .)
fi
$py -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
echo "missing libraries: $(ldd "$B/bin/berth" | grep -c 'not found')"
ldd "$B/bin/berth" | grep 'not found'

jsonl=$out/throughput.jsonl
flops=$out/flops.json
# The tables so far and the logs, after each phase and on exit (a cut run still leaves them).
finish() {
  $py bench/gpu_summary.py table "$jsonl" --flops "$flops" > "$out/summary.md" 2> "$logs/summary.err"
  tar czf "$out/logs.tgz" -C "$logs" . 2>/dev/null
}
trap finish EXIT
trap 'say "stopped by a signal"; exit 143' TERM INT

if [[ -z ${SKIP_TESTS:-} ]]; then
  filter=${GPU_TEST_FILTER:-}
  # Both need two GPUs and only skip (after ~14 s each) on one.
  [[ -z $filter && $n_gpus -lt 2 ]] && filter='-*TwoRanks*:*StalledRank*'
  say "== gpu tests (filter '${filter:-*}')"
  BERTH_BINARY=$B/bin/berth BERTH_PYTHON=$py BERTH_DEFAULT_MODEL=$B/model BERTH_SOURCE_DIR=$root \
    BERTH_MPIRUN=$mpirun_bin timeout 300 "$B/bin/distributed_gpu_tests" \
    --gtest_filter="${filter:-*}" --gtest_output="xml:$out/gpu_tests.xml" 2>&1 | grep -v '^\[ RUN'
  say "gpu tests exit status: ${PIPESTATUS[0]}"
fi

say "== throughput ($steps steps, rates after step $warm; GPU: ${gpu_name:-none})"
models=/tmp/gpu-models
# Random-weight models (seed 0) with the tokenizer, and the FLOPs per sample (flops.json).
$py - "$B/model" "$models" "$B/data/train.csv" "$flops" "$device" 2> "$logs/models.log" <<'EOF'
import json, shutil, sys, torch
sys.path.insert(0, "bench")
from gpu_summary import flops_table
from transformers import BertConfig, BertForSequenceClassification
tok, out, train, flops, device = sys.argv[1:6]
base = json.load(open(f"{tok}/config.json"))
shapes = {"minilm-l6-h384": {}, "bert-base": dict(hidden_size=768, num_hidden_layers=12,
                                                  num_attention_heads=12, intermediate_size=3072)}
if device == "cpu":
    shapes["tiny"] = dict(hidden_size=64, num_hidden_layers=3, num_attention_heads=4, intermediate_size=256)
for name, over in shapes.items():
    torch.manual_seed(0)
    cfg = BertConfig(**{**base, **over, "num_labels": 2})
    BertForSequenceClassification(cfg).save_pretrained(f"{out}/{name}")
    for f in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
        shutil.copy(f"{tok}/{f}", f"{out}/{name}/{f}")
json.dump(flops_table(out, train, [64, 128]), open(flops, "w"), indent=1)
EOF
say "models and flops.json: exit $?"

# The default list: what matters most first (Berth default, then transformers eager), then the
# levers, then compile.
if [[ -z $runs_arg ]]; then
  cfgs="minilm-l6-h384:bf16:64 bert-base:bf16:64 minilm-l6-h384:bf16:128 bert-base:bf16:128"
  cfgs32="minilm-l6-h384:fp32:64 bert-base:fp32:64 minilm-l6-h384:fp32:128 bert-base:fp32:128"
  for c in $cfgs $cfgs32; do runs_arg+=" berth:$c:default"; done
  for c in $cfgs; do
    for v in no_graphs no_fused_adamw no_prefetch eager_baseline_like; do runs_arg+=" berth:$c:$v"; done
  done
  for c in $cfgs $cfgs32; do runs_arg+=" hf:$c:eager"; done
  for c in $cfgs; do runs_arg+=" hf:$c:compile"; done
fi
berth_runs=() hf_eager=() hf_compile=()
for r in ${runs_arg//,/ }; do
  IFS=: read -r sys model precision len variant <<< "$r"
  case $sys in
    berth) berth_runs+=("$model:$precision:$len:${variant:-default}") ;;
    hf) if [[ ${variant:-eager} == compile ]]; then hf_compile+=("$model:$precision:$len:compile")
        else hf_eager+=("$model:$precision:$len:eager"); fi ;;
    *) echo "unknown run $r" ;;
  esac
done

# berth_run MODEL PRECISION LENGTH VARIANT: one training run, its record appended to $jsonl.
berth_run() {
  local model=$1 precision=$2 len=$3 variant=$4 sets=()
  case $variant in
    default) ;;
    no_graphs) sets=(--set runtime.cuda_graphs=false) ;;
    no_fused_adamw) sets=(--set optim.fused=false) ;;
    no_prefetch) sets=(--set data.prefetch=false) ;;
    eager_baseline_like) sets=(--set runtime.cuda_graphs=false --set optim.fused=false
                               --set data.prefetch=false) ;;
    *) echo "unknown Berth variant $variant"; return ;;
  esac
  local name=$model-$precision-$len-$variant left=$((hard - $(el)))
  local run=/tmp/gpu-runs/$name
  if ((left < 30)); then
    say "berth $name: skipped (time limit)"
    echo "{\"system\": \"berth\", \"model\": \"$model\", \"precision\": \"$precision\", \"max_length\": $len, \"variant\": \"$variant\", \"skipped\": \"time limit\"}" >> "$jsonl"
    return
  fi
  rm -rf "$run"
  local t=$SECONDS
  timeout $((left < 150 ? left : 150)) "$B/bin/berth" train --config configs/sst2.toml --resume never \
    --set model.path="'$models/$model'" --set data.train="'$B/data/train.csv'" \
    --set data.dev="''" --set data.test="''" --set data.cache_dir="'/tmp/gpu-cache'" \
    --set data.max_length=$len --set train.log_every=10 \
    --set train.max_steps=$steps --set train.precision="'$precision'" \
    --set runtime.device=$device --set train.run_dir="'$run'" --set checkpoint.every_minutes=0 \
    --set checkpoint.keep_best=0 "${sets[@]}" 2> "$logs/berth-$name.log" >/dev/null
  local rc=$?
  say "berth $name: exit $rc, $((SECONDS - t)) s"
  $py bench/gpu_summary.py berth --run "$run" --model "$model" --precision "$precision" \
    --max-length "$len" --variant "$variant" --flops "$flops" --gpu "$gpu_name" \
    --warmup-steps "$warm" --exit-status $rc | tee -a "$jsonl"
}
# hf_runs TIMEOUT SPEC...: one bench/hf_gpu_train.py process for these runs.
hf_runs() {
  local limit=$1
  shift
  local tmp=$logs/hf-$(el).jsonl list
  list=$(IFS=,; echo "$*")
  timeout "$limit" $py bench/hf_gpu_train.py --models "$models" --train "$B/data/train.csv" \
    --runs "$list" --steps "$steps" --warmup-steps "$warm" --device "$device" \
    --deadline $(($(date +%s) + hard - $(el) - 20)) 2>> "$logs/hf-$(echo "$list" | tr ',:' '_-').log" \
    > "$tmp"
  local rc=$?
  cat "$tmp" | tee -a "$jsonl" | cut -c1-400
  # Runs that printed nothing (the process was cut or died): a record saying so.
  for s in "$@"; do
    IFS=: read -r model precision len variant <<< "$s"
    grep -q "\"model\": \"$model\", \"precision\": \"$precision\", \"max_length\": $len, \"variant\": \"$variant\"" "$tmp" ||
      echo "{\"system\": \"transformers\", \"model\": \"$model\", \"precision\": \"$precision\", \"max_length\": $len, \"variant\": \"$variant\", \"error\": \"no result (exit status $rc$( ((rc == 124)) && echo ', timeout'))\"}" | tee -a "$jsonl"
  done
  say "transformers ${*}: exit $rc"
}

for r in "${berth_runs[@]}"; do
  IFS=: read -r model precision len variant <<< "$r"
  berth_run "$model" "$precision" "$len" "$variant"
done
finish
if ((${#hf_eager[@]})); then
  left=$((hard - $(el)))
  if ((left < 40)); then say "transformers eager: skipped (time limit)"
  else hf_runs $((left < 300 ? left : 300)) "${hf_eager[@]}"; fi
fi
finish
for r in "${hf_compile[@]}"; do
  left=$((hard - $(el)))
  if (($(el) > budget || left < 40)); then
    say "transformers $r: skipped (budget GPU_BUDGET_S=$budget s spent)"
    IFS=: read -r model precision len variant <<< "$r"
    echo "{\"system\": \"transformers\", \"model\": \"$model\", \"precision\": \"$precision\", \"max_length\": $len, \"variant\": \"$variant\", \"skipped\": \"time budget\"}" >> "$jsonl"
    continue
  fi
  hf_runs $((left < 240 ? left : 240)) "$r"
  finish
done
finish
say "== summary"
cat "$out/summary.md"
say "== done"
