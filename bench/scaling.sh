#!/usr/bin/env bash
# Data-parallel scaling on CPU over MPI: `berth train` with 2 ranks x 1 intra-op thread against
# 1 rank x 1 thread, same per-rank batch (so 2 ranks process twice the samples per step), on the
# default model (models/default) and sst2 train (../shared/data), a fixed number of steps.
#
# usage: bench/scaling.sh [STEPS=30] [BATCH=32] [REPEAT=2] [BUILD=build] [EXTRA berth options]
# e.g. bench/scaling.sh 30 32 2 build "--set data.length_bucketing=false"
# Reports, per run, samples/s over the steps after the first logging window (warm-up excluded)
# and, for 2 ranks, the share of step time rank 0 waited for gradient all-reduces after backward
# (metrics "comm_wait_fraction"). Scaling efficiency = (2-rank samples/s) / (2 x 1-rank samples/s),
# from the best run of each. The load average is printed before each run: the machine may be
# shared, and a busy core shows up directly as lost efficiency.
set -euo pipefail

STEPS=${1:-30}
BATCH=${2:-32}
REPEAT=${3:-2}
BUILD=${4:-build}
EXTRA=${5:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BERTH="$ROOT/$BUILD/berth"
PY="$ROOT/.venv/bin/python"
DATA="$ROOT/../shared/data/sst2/train.csv"
LOG_EVERY=5

[[ -x "$BERTH" ]] || { echo "no $BERTH: build first (cmake --build $BUILD)" >&2; exit 2; }
[[ -f "$DATA" ]] || { echo "needs $DATA" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "needs mpirun (Open MPI)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat > "$TMP/scaling.toml" <<EOF
[model]
path = '$ROOT/models/default'
[data]
train = '$DATA'
batch_size = $BATCH
max_length = 64
cache_dir = '$TMP/cache'
[optim]
lr = 2e-5
[train]
max_steps = $STEPS
log_every = $LOG_EVERY
seed = 1
precision = 'fp32'
[checkpoint]
keep_last = 1
keep_best = 0
[runtime]
threads = 1
EOF

# Prepare the corpus once, outside the timed runs (both runs then reuse the cache).
"$BERTH" train --config "$TMP/scaling.toml" --set train.run_dir="'$TMP/prep'" \
  --set train.max_steps=1 >/dev/null 2>&1

# summary <metrics.jsonl>: "samples_per_s comm_wait_fraction" over the windows after the first.
summary() {
  "$PY" - "$1" "$LOG_EVERY" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
train = [r for r in recs if r.get("type") == "train" and r["step"] > int(sys.argv[2])]
# Windows hold the same number of steps and samples: the overall rate is the harmonic mean.
sps = len(train) / sum(1.0 / r["samples_per_s"] for r in train)
wait = [r["comm_wait_fraction"] for r in train if "comm_wait_fraction" in r]
print(f"{sps:.2f} {sum(wait) / len(wait) if wait else 0.0:.4f}")
PYEOF
}

best1=0
best2=0
wait2=0
for rep in $(seq "$REPEAT"); do
  for np in 1 2; do
    run="$TMP/run-$np-$rep"
    echo "load average before ${np}-rank run $rep: $(cut -d' ' -f1-3 /proc/loadavg)"
    start=$(date +%s.%N)
    if [[ $np == 1 ]]; then
      # shellcheck disable=SC2086
      "$BERTH" train --config "$TMP/scaling.toml" --set train.run_dir="'$run'" $EXTRA >"$run.log" 2>&1
    else
      # shellcheck disable=SC2086
      mpirun -np 2 --oversubscribe --bind-to none "$BERTH" train --config "$TMP/scaling.toml" \
        --set train.run_dir="'$run'" $EXTRA >"$run.log" 2>&1
    fi
    end=$(date +%s.%N)
    read -r sps wait <<<"$(summary "$run/metrics.jsonl")"
    printf '%d rank(s), run %d: %s samples/s, comm wait %.1f%% of step time (wall %.1f s)\n' \
      "$np" "$rep" "$sps" "$("$PY" -c "print($wait*100)")" "$("$PY" -c "print($end-$start)")"
    if [[ $np == 1 ]]; then
      best1=$("$PY" -c "print(max($best1, $sps))")
    elif "$PY" -c "import sys; sys.exit(0 if $sps > $best2 else 1)"; then
      best2=$sps
      wait2=$wait
    fi
  done
done
"$PY" - "$best1" "$best2" "$wait2" "$STEPS" "$BATCH" <<'PYEOF'
import sys
one, two, wait, steps, batch = map(float, sys.argv[1:])
print(f"best: 1 rank {one:.2f} samples/s, 2 ranks {two:.2f} samples/s "
      f"(comm wait {wait * 100:.1f}% of step time); {int(steps)} steps, batch {int(batch)} per rank")
print(f"scaling efficiency: {two / (2 * one) * 100:.1f}%")
PYEOF
