#!/usr/bin/env bash
# The MPI Operator's pod commands (scripts/image/k8s-launcher, k8s-worker), run in the image as
# deploy/k8s/berth-mpijob.yaml runs them, with 2 ranks on this machine instead of 2 pods:
#  1. the launcher pod is deleted (SIGTERM to k8s-launcher after the first checkpoint): it
#     forwards USR1 to mpirun, the ranks write a stop checkpoint, k8s-launcher exits 75;
#  2. a restarted job whose worker pod is deleted (SIGTERM to k8s-worker, whose ranks run below
#     it): it sends USR1 to its berth ranks, and the resumed training stops again with a checkpoint;
#     k8s-worker exits 0 once they are gone;
#  3. the launcher started again resumes and finishes: every step trained exactly once, two
#     checkpoints of both stopped steps, two resumes there, the final checkpoint verifies.
# CTest image_k8s_preemption (label image); needs root and the image (make image).
set -euo pipefail
source "$(dirname "$0")/image_env.sh"
PY=${BERTH_PYTHON:-$ROOT/.venv/bin/python}
[[ -x $PY ]] || skip "no $PY (make setup) to make the tiny test model"
source "$ROOT/tests/slurm/tiny_data.sh"
unpack_image
STEPS=60
W=$(mktemp -d /tmp/berth-k8s-test.XXXXXX)
bg=
cleanup() { [[ -n $bg ]] && kill -9 "$bg" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
say() { echo "[k8s_preemption_test +${SECONDS}s] $*"; }
make_tiny_data "$W"
tiny_config "$W/train.toml" "$W" train.max_steps="$STEPS" train.run_dir="'$W/run'" \
  checkpoint.every_steps=5 checkpoint.keep_last=2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
M=$W/run/metrics.jsonl
records() { local n; n=$(grep -c "\"type\":\"$1\"" "$M" 2>/dev/null) || true; echo "${n:-0}"; }
# The PID of the process running script NAME below PID (the chroot keeps its PIDs).
below() {
  local pid=$1 name=$2 p
  for p in $(ps -e -o pid=); do
    [[ $( { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null) == *"$name"* ]] || continue
    local q=$p
    while [[ $q -gt 1 ]]; do
      q=$(awk '{print $4}' "/proc/$q/stat" 2>/dev/null || echo 0)
      [[ $q == "$pid" ]] && { echo "$p"; return; }
    done
  done
}
wait_for() {  # wait_for SECONDS CONDITION...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.2; done
}
checkpoints() { local n; n=$(grep -c '"type":"checkpoint"' "$M" 2>/dev/null) || true; echo "${n:-0}"; }
has_checkpoint_after() { (($(checkpoints) > $1)); }
BERTH_K8S_RANKS=${BERTH_K8S_RANKS:-2}

# 1. launcher pod deleted
say "1. k8s-launcher with $BERTH_K8S_RANKS ranks; SIGTERM after the first checkpoint"
(BERTH_RANKS=$BERTH_K8S_RANKS in_image k8s-launcher berth train --config "$W/train.toml") >"$W/launcher1.log" 2>&1 &
bg=$!
wait_for 300 has_checkpoint_after 0 || { cat "$W/launcher1.log"; fail "no checkpoint within 300 s"; }
pid=$(below "$bg" k8s-launcher)
[[ -n $pid ]] || fail "k8s-launcher's process not found"
kill -TERM "$pid"
set +e; wait "$bg"; rc=$?; set -e; bg=
cat "$W/launcher1.log"
[[ $rc == 75 ]] || fail "k8s-launcher exited $rc after SIGTERM, expected 75 (stopped with a checkpoint)"
grep -q 'got SIGTERM' "$W/launcher1.log" || fail "k8s-launcher did not report the SIGTERM"
[[ $(records stopped) == 1 ]] || fail "no stopped record after the launcher's SIGTERM"

# 2. worker pod deleted: the ranks run below k8s-worker (there: sshd -> orted; here: mpirun).
say "2. k8s-worker running the ranks; SIGTERM after the next checkpoint"
n=$(checkpoints)
(WORKER_DAEMON="mpirun -np $BERTH_K8S_RANKS --bind-to none berth train --config $W/train.toml" \
  in_image k8s-worker) >"$W/worker.log" 2>&1 &
bg=$!
wait_for 300 has_checkpoint_after "$n" || { cat "$W/worker.log"; fail "no checkpoint after the resume within 300 s"; }
pid=$(below "$bg" k8s-worker)
[[ -n $pid ]] || fail "k8s-worker's process not found"
kill -TERM "$pid"
set +e; wait "$bg"; rc=$?; set -e; bg=
cat "$W/worker.log"
[[ $rc == 0 ]] || fail "k8s-worker exited $rc after SIGTERM, expected 0"
grep -q "SIGUSR1 to berth rank process(es) [0-9]* [0-9]*" "$W/worker.log" ||
  fail "k8s-worker did not signal its $BERTH_K8S_RANKS berth ranks"
[[ $(records stopped) == 2 ]] || fail "no second stopped record after the worker's SIGTERM"

# 3. the next launcher resumes and finishes
say "3. k8s-launcher again: resume to the end"
(BERTH_RANKS=$BERTH_K8S_RANKS in_image k8s-launcher berth train --config "$W/train.toml") >"$W/launcher2.log" 2>&1 ||
  { cat "$W/launcher2.log"; fail "the resumed run failed"; }
python3 - "$M" "$STEPS" <<'PY' || fail "metrics.jsonl does not show two stops, two resumes and every step once"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
steps = int(sys.argv[2])
kinds = [r["type"] for r in recs if r["type"] in ("start", "resume", "stopped", "done")]
assert kinds == ["start", "stopped", "resume", "stopped", "resume", "done"], kinds
# Each stop left a checkpoint of its step (a stop at an interval step reuses that one).
stops = [r for r in recs if r["type"] == "stopped"]
ckpt_steps = {r["step"] for r in recs if r["type"] == "checkpoint"}
assert all(r["step"] in ckpt_steps for r in stops), (stops, sorted(ckpt_steps))
resumes = [r["step"] for r in recs if r["type"] == "resume"]
assert resumes == [r["step"] for r in stops], (resumes, stops)
train = [r["step"] for r in recs if r["type"] == "train"]
assert train == list(range(1, steps + 1)), train
print("stopped at steps", [r["step"] for r in stops], "of", steps, "; every step trained once")
PY
in_image berth checkpoint verify "$W/run/checkpoints" >/dev/null || fail "the checkpoints do not verify"
say "PASS"
