#!/usr/bin/env bash
# The heap policy (common/allocator_policy.h) measured alone: the same short training with it and
# with glibc's defaults (BERTH_MALLOC=default), in turn, REPS times: minor page faults of the whole
# process (/usr/bin/time %R), peak resident size and training samples/s. First ROWS rows of SST-2
# train, the settings of bench/cpu_train_compare.sh (configs/sst2.toml, batch 32, fp32).
# Page faults are deterministic to a few hundred; samples/s moves with the machine.
#
# usage: bench/heap_faults.sh [STEPS=40] [REPS=2] [THREADS=2] [ROWS=1600]   (BERTH=binary)
set -euo pipefail
STEPS=${1:-40}
REPS=${2:-2}
THREADS=${3:-2}
ROWS=${4:-1600}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BERTH=${BERTH:-$ROOT/build/berth}
SRC=${SRC:-$ROOT/../shared/data/sst2/train.csv}
[[ -x $BERTH ]] || { echo "no $BERTH: build first" >&2; exit 2; }
[[ -f $SRC ]] || { echo "needs $SRC" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
head -n $((ROWS + 1)) "$SRC" > "$TMP/train.csv"
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null) cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" \
  "flags: $(grep -o -w 'avx2\|avx512f\|avx512_bf16\|amx_tile' /proc/cpuinfo | sort -u | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
# The corpus cache is made once, outside the measured runs.
"$BERTH" train --config configs/sst2.toml --resume never --set data.train="'$TMP/train.csv'" \
  --set data.dev='""' --set data.test='""' --set data.cache_dir="'$TMP/cache'" \
  --set train.max_steps=1 --set train.run_dir="'$TMP/prep'" --set checkpoint.every_minutes=0 \
  --set checkpoint.keep_best=0 > /dev/null 2>&1
echo "| heap | run | minor faults | peak RSS MB | samples/s |"
echo "| --- | ---: | ---: | ---: | ---: |"
for rep in $(seq "$REPS"); do
  for heap in policy default; do
    rm -rf "$TMP/run"
    env_set=()
    [[ $heap == default ]] && env_set=(BERTH_MALLOC=default)
    env "${env_set[@]}" /usr/bin/time -o "$TMP/time" -f '%R %M' "$BERTH" train \
      --config configs/sst2.toml --resume never --set data.train="'$TMP/train.csv'" \
      --set data.dev='""' --set data.test='""' --set data.cache_dir="'$TMP/cache'" \
      --set train.max_steps="$STEPS" --set runtime.threads="$THREADS" \
      --set train.run_dir="'$TMP/run'" --set checkpoint.every_minutes=0 \
      --set checkpoint.keep_best=0 --set checkpoint.keep_last=1 > /dev/null 2> "$TMP/log" ||
      { tail "$TMP/log" >&2; exit 1; }
    read -r faults rss < "$TMP/time"
    sps=$(python3 -c "
import json
d = [json.loads(l) for l in open('$TMP/run/metrics.jsonl')]
d = [r for r in d if r.get('type') == 'done'][-1]
print(round(d['samples_seen'] / d['train_seconds'], 1))")
    echo "| $heap | $rep | $faults | $((rss / 1024)) | $sps |"
  done
done
