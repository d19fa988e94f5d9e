#!/usr/bin/env bash
# bf16 against fp32 CPU training, with and without AMX tiles (BENCHMARKS.md, "bf16 training
# without AMX"): `berth train` for one epoch over the first ROWS rows of SST-2 train with the
# default model (configs/sst2.toml: batch 32, max length 64), 2 threads, no evaluation, the four
# variants (no_amx fp32, no_amx bf16, AMX fp32, AMX bf16) interleaved over ROUNDS rounds; no_amx
# runs under $BUILD/no_amx (the AMX permission refused). Prints samples/s of the training steps
# (metrics.jsonl's `done` record) per run. Needs an AMX CPU for the AMX rows to differ.
# usage: bench/bf16_train_check.sh [ROUNDS=3] [ROWS=640] [BUILD=build-cpu]
set -euo pipefail
rounds=${1:-3} rows=${2:-640} build=${3:-build-cpu}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -n $((rows + 1)) ../shared/data/sst2/train.csv >"$tmp/train.csv"
py=${PY:-.venv/bin/python}
run() {  # wrapper precision tag
  local wrap=$1 precision=$2 tag=$3 dir="$tmp/run-$3"
  # shellcheck disable=SC2086
  $wrap "$build/berth" train --config configs/sst2.toml --resume never \
    --set data.train="'$tmp/train.csv'" --set model.path="'models/default'" \
    --set runtime.device=cpu --set data.dev='""' --set data.test='""' \
    --set data.cache_dir="'$tmp/cache'" --set train.epochs=1 --set train.seed=1 \
    --set runtime.threads=2 --set train.precision="$precision" --set train.run_dir="'$dir'" \
    --set checkpoint.every_minutes=0 --set checkpoint.keep_best=0 --set checkpoint.keep_last=1 \
    >"$tmp/$tag.log" 2>&1 || { tail -5 "$tmp/$tag.log" >&2; exit 1; }
  "$py" -c "
import json
recs = [json.loads(l) for l in open('$dir/metrics.jsonl')]
d = [r for r in recs if r.get('type') == 'done'][-1]
print('$tag', round(d['samples_seen'] / d['train_seconds'], 1), 'samples/s')"
}
echo "CPU flags: $(grep -o -w -E 'avx2|avx512f|avx512_bf16|avx512_vnni|amx_bf16|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')"
run "" fp32 warm-up >/dev/null  # the corpus cache, outside the rounds
for r in $(seq "$rounds"); do
  run "$build/no_amx" fp32 "no_amx-fp32-$r"
  run "$build/no_amx" bf16 "no_amx-bf16-$r"
  run "" fp32 "amx-fp32-$r"
  run "" bf16 "amx-bf16-$r"
done
