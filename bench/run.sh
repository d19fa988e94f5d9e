#!/usr/bin/env bash
# The named benchmarks, each with the arguments BENCHMARKS.md reports it with: `make bench`
# lists them, `make bench NAME=<name>` runs one (minutes to hours; BENCHMARKS.md says what each
# measures and what it found). Extra arguments replace the defaults:
#   make bench NAME=train_throughput ARGS="20 2"
# Every benchmark is a script of its own under bench/; its opening comment documents its
# arguments, inputs and output.
set -euo pipefail
cd "$(dirname "$0")/.."

# name | script | default arguments (as in BENCHMARKS.md) | what it measures
BENCHMARKS=(
  "prep_throughput|bench/prep_throughput.sh|200000 2 build-data|berth prep (parse, tokenize, HDF5) against BertTokenizerFast on the same texts"
  "predict_throughput|bench/predict_throughput.sh|5463 2 32 build-pred 500|berth predict texts/s and latency against a transformers pipeline"
  "int8|bench/int8_bench.sh|2|--precision int8 against fp32: accuracy and throughput"
  "train_accuracy|bench/train_accuracy.sh|\"trec6 sst2\" \"1 2 3\" fp32|test accuracy and throughput against transformers, several seeds"
  "train_throughput|bench/train_throughput.sh|50 2|training samples/s against transformers, fp32 and bf16"
  "cpu_train_compare|bench/cpu_train_compare.sh|3 3200 2|CPU training time, berth against PyTorch, paired runs"
  "device_cpu_check|bench/device_cpu_check.sh|3 3200 2|the CPU training comparison on a lent GPU machine's quieter CPUs"
  "heap_faults|bench/heap_faults.sh|40 2|page faults per step under the heap policy"
  "scaling|bench/scaling.sh|30 32 2 build-scal|data-parallel scaling on CPU over MPI: 2 ranks against 1"
  "gpu_check|bench/gpu_check.sh|200|the GPU checks on a lent GPU machine (see the script)"
  "long_text|bench/long_text.sh|64 2 16|head, tail, head_tail truncation and --windows on long texts"
  "serve_load|bench/serve_load.sh|2 500 40 build \"1 8 64\"|berth serve under 1, 8 and 64 clients against a Python transformers server"
  "recipe_options|bench/recipe_options.sh|all \"1 2 3\"|layer decay, EMA, label smoothing, distillation, a 4-trial sweep against the plain recipe (TREC-6, reduced SST-2)"
)

field() { cut -d'|' -f"$2" <<<"$1"; }

if [[ -z "${NAME:-}" ]]; then
  echo "Benchmarks (make bench NAME=<name> [ARGS=\"...\"]; BENCHMARKS.md has the results):"
  for b in "${BENCHMARKS[@]}"; do
    printf '  %-20s %s\n' "$(field "$b" 1)" "$(field "$b" 4)"
  done
  exit 0
fi
for b in "${BENCHMARKS[@]}"; do
  if [[ "$(field "$b" 1)" == "$NAME" ]]; then
    args=${ARGS:-$(field "$b" 3)}
    echo "+ $(field "$b" 2) $args" >&2
    eval "exec $(field "$b" 2) $args"
  fi
done
echo "make bench: no benchmark named '$NAME'; run make bench to list them" >&2
exit 2
