#!/usr/bin/env bash
# How `berth train` under mpirun ends on a stop, with Open MPI's odls_base_sigkill_timeout
# (seconds mpirun waits before SIGKILL when it ends a job) at a given value. Two measurements
# quoted in docs/distributed.md ("Stopping and resuming"):
#
#   bench/mpirun_stop.sh term [TIMEOUT=1]    SIGTERM to mpirun after step 2 of a 2-rank run on
#                                           models/default: is the stop checkpoint complete?
#   bench/mpirun_stop.sh linger [TIMEOUT=1]  --stop-after-step 50 on a tiny model: seconds until
#                                           mpirun returns (a rank lingering after the other
#                                           exits 75 shows up as about 2 x TIMEOUT)
# Needs the build, models/default and ../shared/data/sst2/train.csv.
set -uo pipefail
MODE=${1:?term or linger}
TIMEOUT=${2:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BERTH=$ROOT/build/berth
DATA=$ROOT/../shared/data/sst2/train.csv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_odls_base_sigkill_timeout=$TIMEOUT
common=(--set "data.train='$DATA'" --set "data.dev=''" --set "data.test=''"
  --set "train.run_dir='$TMP/run'" --set "data.cache_dir='$TMP/cache'" --set runtime.threads=1)

case $MODE in
  term)
    mpirun -np 2 --bind-to none "$BERTH" train --config "$ROOT/configs/sst2.toml" "${common[@]}" \
      --set "model.path='$ROOT/models/default'" --set train.max_steps=2000 \
      --set train.log_every=1 >"$TMP/out" 2>&1 &
    mp=$!
    for _ in $(seq 600); do
      grep -q '"step":2,' "$TMP/run/metrics.jsonl" 2>/dev/null && break
      sleep 0.2
    done
    kill -TERM "$mp"
    wait "$mp"
    echo "odls_base_sigkill_timeout=$TIMEOUT: mpirun exit $?"
    echo "checkpoint root: $(ls -A "$TMP/run/checkpoints" | tr '\n' ' ')"
    grep -h "checkpoint (stop)" "$TMP/out" || echo "no stop checkpoint was completed"
    ;;
  linger)
    "$ROOT/.venv/bin/python" "$ROOT/tests/python/make_tiny_model.py" "$TMP/tiny" \
      "$ROOT/models/default" 2 0.1 >/dev/null
    start=$(date +%s.%N)
    mpirun -np 2 --oversubscribe --bind-to none "$BERTH" train --config "$ROOT/configs/sst2.toml" \
      "${common[@]}" --set "model.path='$TMP/tiny'" --set train.max_steps=2000 \
      --stop-after-step 50 >"$TMP/out" 2>&1
    rc=$?
    echo "odls_base_sigkill_timeout=$TIMEOUT: mpirun exit $rc after $(echo "$(date +%s.%N) - $start" | bc) s"
    ;;
  *) echo "mode: term or linger" >&2; exit 2 ;;
esac
