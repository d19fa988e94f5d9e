#!/usr/bin/env bash
# Data-parallel scaling on CPU over MPI: `berth train` with 2 ranks x 1 intra-op thread against
# 1 rank x 1 thread, same per-rank batch (so 2 ranks process twice the samples per step), on the
# default model (models/default) and sst2 train (../shared/data), STEPS steps for 2 ranks and
# 2 x STEPS for one, so that both runs train on the same examples: the epoch order does not
# depend on the number of ranks, and with length bucketing the cost of a step depends strongly
# on which batches it gets.
#
# usage: bench/scaling.sh [STEPS=30] [BATCH=32] [REPEAT=2] [BUILD=build] [EXTRA berth options]
# e.g. bench/scaling.sh 30 32 2 build "--set data.length_bucketing=false"
# Reports, per run, samples/s after the first logging window (warm-up excluded; the same examples
# for both runs) and, for 2 ranks, the share of step time rank 0 waited for gradient all-reduces
# after backward (metrics "comm_wait_fraction"). Scaling efficiency = (2-rank samples/s) /
# (2 x 1-rank samples/s), from the best run of each. The load average is printed before each run: the machine may be
# shared, and a busy core shows up directly as lost efficiency; so is the CPU time other
# processes took during each run (busy time in /proc/stat minus the run's own CPU time), which
# should be near 0 s for a figure to count. With RESULTS=<file.jsonl> in the environment, every
# run is also appended there as one JSON line (LABEL=<text> tags it, e.g. the build measured).
set -euo pipefail

STEPS=${1:-30}
BATCH=${2:-32}
REPEAT=${3:-2}
BUILD=${4:-build}
EXTRA=${5:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BERTH="$ROOT/$BUILD/berth"
RESULTS=${RESULTS:-}
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

# CPU seconds all processes have been busy since boot (user+nice+system+irq+softirq+steal).
busy_s() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu /{print ($2+$3+$4+$7+$8+$9)/hz}' /proc/stat
}
# CPU seconds used by this shell's finished children (user + system), from `times`; called
# without a subshell (one would report its own children), it leaves the figure in $CHILDREN_CPU.
children_cpu() {
  times >"$TMP/times"
  CHILDREN_CPU=$(tail -1 "$TMP/times" | "$PY" -c "
import re, sys
print(sum(float(m) * 60 + float(s) for m, s in re.findall(r'(\d+)m([\d.]+)s', sys.stdin.read())))")
}

# summary <metrics.jsonl> <log_every>: "samples_per_s comm_wait_fraction" over the windows after
# the first.
summary() {
  "$PY" - "$1" "$2" <<'PYEOF'
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
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    busy0=$(busy_s)
    children_cpu
    cpu0=$CHILDREN_CPU
    start=$(date +%s.%N)
    if [[ $np == 1 ]]; then
      # shellcheck disable=SC2086
      "$BERTH" train --config "$TMP/scaling.toml" --set train.run_dir="'$run'" \
        --set train.max_steps=$((2 * STEPS)) --set train.log_every=$((2 * LOG_EVERY)) \
        $EXTRA >"$run.log" 2>&1
    else
      # shellcheck disable=SC2086
      mpirun -np 2 --oversubscribe --bind-to none "$BERTH" train --config "$TMP/scaling.toml" \
        --set train.run_dir="'$run'" $EXTRA >"$run.log" 2>&1
    fi
    end=$(date +%s.%N)
    busy1=$(busy_s)
    children_cpu
    other=$("$PY" -c "print(max(0.0, ($busy1 - $busy0) - ($CHILDREN_CPU - $cpu0)))")
    read -r sps wait <<<"$(summary "$run/metrics.jsonl" $((LOG_EVERY * 2 / np)))"
    printf '%d rank(s), run %d: %s samples/s, comm wait %.1f%% of step time (wall %.1f s, other processes %.1f CPU s)\n' \
      "$np" "$rep" "$sps" "$("$PY" -c "print($wait*100)")" "$("$PY" -c "print($end-$start)")" "$other"
    if [[ -n $RESULTS ]]; then
      "$PY" -c "import json, sys; print(json.dumps(dict(ranks=$np, run=$rep, samples_per_s=$sps,
        comm_wait_fraction=$wait, wall_s=round($end - $start, 2), other_cpu_s=round($other, 2),
        load_before=sys.argv[1], steps=$((STEPS * 2 / np)), batch=$BATCH, extra=sys.argv[2],
        commit=sys.argv[3], label=sys.argv[4])))" "$load" "$EXTRA" \
        "$(git -C "$ROOT" rev-parse --short HEAD)" "${LABEL:-}" >>"$RESULTS"
    fi
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
      f"(comm wait {wait * 100:.1f}% of step time); {int(steps)} steps for 2 ranks, "
      f"{2 * int(steps)} for 1, batch {int(batch)} per rank")
print(f"scaling efficiency: {two / (2 * one) * 100:.1f}%")
PYEOF
