#!/bin/bash
# End-to-end test of slurm/train.sbatch on a throw-away 2-node Slurm cluster (tests/slurm/
# slurm_cluster.sh with BERTH_SLURM_NODES=2: node-a and node-b in their own network, UTS and
# mount namespaces, TCP over a bridge; needs root). CTest `slurm_multi_node`, label `slurm`.
#
#   tests/slurm/multi_node_test.sh [BERTH_BINARY]
#
# 1. `sbatch -N 2 --ntasks-per-node=1` with LAUNCHER=mpirun and FABRIC_IF=eth0, to the end,
#    while the same config runs as 1 node x 2 ranks (mpirun -np 2 on this host): per-step losses
#    within 1e-5, final weights within 1e-5; each rank logged its node and device.
# 2. The same job with train.sbatch's default launcher (srun --mpi=pmix here); the ranks talk
#    over TCP between the nodes' addresses; plain `scancel` (SIGTERM, then SIGKILL after
#    KillWait) after the first checkpoint: a stop checkpoint, every rank exits 75, not requeued.
#    Then `scancel` under mpirun: its outcome is reported (mpirun kills its ranks 1 s after its
#    own SIGTERM, docs/distributed.md), not asserted.
# 3. Node failure, srun, --nodes=2, REQUEUE_ON_FAILURE=1, runtime.comm_timeout_s=$TIMEOUT:
#    (a) SIGKILL every berth process of node-b; (b) node-b's link down. Each time: the job ends
#    within the timeout plus a margin with an error naming rank 1 and node-b, no berth process
#    is left on node-a, the last checkpoint verifies; the requeued job runs on node-a alone
#    (world size 1), resumes and finishes.
# Figures (detection times, scancel outcomes) are printed as "FIGURE ..." lines.
# Skipped (exit 77) when not root or where namespaces are refused.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH=$(realpath "${1:-$ROOT/build/berth}")
PY=${BERTH_PYTHON:-$ROOT/.venv/bin/python}
source "$ROOT/tests/slurm/lib.sh"
source "$ROOT/tests/slurm/tiny_data.sh"
TIMEOUT=${BERTH_SLURM_COMM_TIMEOUT:-8}  # runtime.comm_timeout_s of the failure jobs
# Seconds allowed beyond it for the job to end: the grace for the liveness question (2 s at 8 s),
# then srun waits KillWait + 2 s (12 s here) for the step on an unreachable node, plus slack.
MARGIN=${BERTH_SLURM_FAIL_MARGIN:-20}
export BERTH_SLURM_DIR=${BERTH_SLURM_DIR:-/tmp/berth-slurm-multi}
export BERTH_SLURM_NODES=2 BERTH_SLURM_CRED_EXPIRE=${BERTH_SLURM_CRED_EXPIRE:-10}
export BERTH_SLURM_NODE_TIMEOUT=${BERTH_SLURM_NODE_TIMEOUT:-10}
WAIT_POLL_S=0.2  # the failure phases time how fast a job ends

PHASES=${BERTH_SLURM_PHASES:-eq stop kill link}  # a subset, for debugging one part
phase() { [[ " $PHASES " == *" $1 "* ]]; }

W=$BERTH_SLURM_DIR/shared/work  # on the cluster's shared directory: every node sees it
# The cluster's directory holds W: kept or removed with it.
slurm_test_begin multi_node_test "$BERTH_SLURM_DIR"
show_failure() { tail_files 25 "$W"/*.out; }
[[ -x $BERTH ]] || fail "no berth binary at $BERTH"

say "starting a 2-node cluster"
rc=0
bash "$CLUSTER" start || rc=$?
((rc == 77)) && { echo "SKIP: the cluster cannot start here (namespaces refused)"; exit 77; }
((rc == 0)) || fail "the cluster did not start"
mkdir -p "$W"
chmod 755 "$W"

# The nodes have lo and eth0; FABRIC_IF picks eth0.
say "tiny model and corpus in $W"
make_tiny_data "$W"
write_config() {  # write_config FILE STEPS EVERY
  tiny_config "$1" "$W" train.max_steps="$2" checkpoint.every_steps="$3" checkpoint.keep_last=3 \
    runtime.comm_timeout_s="$TIMEOUT"
}
EQ_STEPS=${BERTH_SLURM_EQ_STEPS:-60}
LONG_STEPS=${BERTH_SLURM_STEPS:-400}
write_config "$W/eq.toml" "$EQ_STEPS" 20
write_config "$W/long.toml" "$LONG_STEPS" 20

state_is() { [[ $(job_field JobState) == "$1" ]]; }
has_record() { grep -q "\"type\":\"$2\"" "$1/metrics.jsonl" 2>/dev/null; }
# A complete stop: a "stopped" record and a checkpoint of that very step (written for the stop,
# or by the interval when the stop came right after one).
has_stop_checkpoint() {
  python3 - "$1/metrics.jsonl" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
stopped = [r["step"] for r in recs if r["type"] == "stopped"]
ckpts = {r["step"] for r in recs if r["type"] == "checkpoint"}
sys.exit(0 if stopped and stopped[-1] in ckpts else 1)
EOF
}
# submit NAME NODES RUN_DIR CONFIG EXTRA_EXPORTS...: sets JOB
submit() {
  local name=$1 nodes=$2 run=$3 config=$4
  shift 4
  # The previous job's nodes may still be completing: a job with a node range would take fewer.
  wait_until 60 "both nodes to be idle" bash -c \
    "[[ \$(bash '$CLUSTER' run sinfo -h -N -o %t | sort -u) == idle ]]"
  local exports="ALL,CONFIG=$config,RUN_DIR=$run,BERTH=$BERTH,FABRIC_IF=eth0"
  local e
  for e in "$@"; do exports+=",$e"; done
  JOB=$(sl sbatch --parsable --chdir="$W" --output="$W/$name.out" --job-name="$name" \
    --nodes="$nodes" --ntasks-per-node=1 --gpus-per-node=0 --cpus-per-task=1 --time=20 \
    --export="$exports" "$ROOT/slurm/train.sbatch")
  JOB=${JOB%%;*}
  say "$name: job $JOB (--nodes=$nodes $*)"
}
# Berth processes on a node: found by the node's network namespace and the executable
# (BERTH_EXE when BERTH is a wrapper that runs another one: tests/image/slurm_in_image_test.sh).
berth_pids_on() {  # berth_pids_on NODE
  local ns p
  ns=$(readlink "/proc/$(cat "$BERTH_SLURM_DIR/slurmd-$1.pid")/ns/net")
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/exe" 2>/dev/null) == "${BERTH_EXE:-$BERTH}" && $(readlink "$p/ns/net" 2>/dev/null) == "$ns" ]] &&
      echo "${p#/proc/}"
  done
  return 0
}

# ---- 1. mpirun over two nodes == one node with two ranks ----------------------------------------
if phase eq; then
submit eq-mpirun 2 "$W/eq2x1" "$W/eq.toml" LAUNCHER=mpirun
say "reference: 1 node x 2 ranks (mpirun -np 2 on this host), same config"
(cd "$W" && exec mpirun -np 2 --bind-to none "$BERTH" train --config "$W/eq.toml" \
  --set "train.run_dir='$W/eq1x2'" >"$W/eq1x2.out" 2>&1) &
ref_pid=$!
wait_until 240 "job $JOB to finish" job_ended
state_is COMPLETED || fail "2-node mpirun job: $(job_field JobState) $(job_field ExitCode)"
wait "$ref_pid" || fail "the 1x2 reference failed: $(tail -n 5 "$W/eq1x2.out")"
ref_pid=
grep -q "via mpirun" "$W/eq-mpirun.out" || fail "the job did not use mpirun"
grep -q "btl_tcp_if_include=eth0 oob_tcp_if_include=eth0 NCCL_SOCKET_IFNAME=eth0" "$W/eq-mpirun.out" ||
  fail "FABRIC_IF=eth0 did not reach the launcher's environment"
grep -q "rank 0 on node-a: cpu (local rank 0 of 1 on this node)" "$W/eq2x1/logs/rank-0.log" ||
  fail "rank-0.log lacks 'rank 0 on node-a: cpu ...'"
grep -q "rank 1 on node-b: cpu (local rank 0 of 1 on this node)" "$W/eq2x1/logs/rank-1.log" ||
  fail "rank-1.log lacks 'rank 1 on node-b: cpu ...'"
grep -q "rank 1 on .*: cpu (local rank 1 of 2 on this node)" "$W/eq1x2/logs/rank-1.log" ||
  fail "the 1x2 reference's rank 1 does not say local rank 1 of 2"
FINAL=$(printf 'step-%08d' "$EQ_STEPS")
"$PY" - "$W/eq2x1" "$W/eq1x2" "$FINAL" <<'EOF'
import json, sys
from safetensors.torch import load_file
a, b, final = sys.argv[1:4]
def losses(d):
    return {r["step"]: r["loss"] for r in map(json.loads, open(d + "/metrics.jsonl")) if r["type"] == "train"}
la, lb = losses(a), losses(b)
assert sorted(la) == sorted(lb) and len(la) > 0, (len(la), len(lb))
worst = max(abs(la[s] - lb[s]) for s in la)
assert worst <= 1e-5, "per-step losses differ by %g" % worst
wa = load_file("%s/checkpoints/%s/model.safetensors" % (a, final))
wb = load_file("%s/checkpoints/%s/model.safetensors" % (b, final))
assert wa.keys() == wb.keys()
wworst = max((wa[k].double() - wb[k].double()).abs().max().item() for k in wa)
assert wworst <= 1e-5, "final weights differ by %g" % wworst
same = all(wa[k].equal(wb[k]) for k in wa)
print("FIGURE equivalence: %d steps, max loss difference %g, max weight difference %g%s"
      % (len(la), worst, wworst, " (bitwise equal)" if same else ""))
EOF
say "2 nodes x 1 rank == 1 node x 2 ranks"
fi

# ---- 2. srun (the default), TCP between nodes, scancel -> stop checkpoint ---------------------
scancel_run() {  # scancel_run NAME LAUNCHER(auto|mpirun)
  local name=$1 launcher=$2 run=$W/$1
  submit "$name" 2 "$run" "$W/long.toml" "LAUNCHER=$launcher"
  wait_until 180 "the first checkpoint of $name" has_record "$run" checkpoint
  if [[ $launcher == auto ]]; then
    # The ranks on different nodes hold TCP connections between the nodes' eth0 addresses.
    local pid
    pid=$(berth_pids_on node-b | head -n 1)
    [[ -n $pid ]] || fail "no berth process on node-b"
    on_node node-b ss -tnp | grep "pid=$pid," | grep -q "192.0.2.12:.*192.0.2.11:" ||
      fail "berth on node-b has no TCP connection to node-a: $(on_node node-b ss -tnp | grep berth)"
    say "$name: berth on node-b talks to node-a over TCP (192.0.2.12 -> 192.0.2.11)"
  fi
  local t=$SECONDS
  sl scancel "$JOB"
  wait_until 60 "$name to end after scancel" job_ended
  local stopped=no ckpt=no verify=no code
  has_record "$run" stopped && stopped=yes
  has_stop_checkpoint "$run" && ckpt=yes
  "$BERTH" checkpoint verify "$run/checkpoints" >/dev/null 2>&1 && verify=yes
  code=$(sed -n 's/.*berth exited with \([0-9]*\).*/\1/p' "$W/$name.out" | tail -n 1)
  echo "FIGURE scancel, $(grep -o 'via [a-z]*' "$W/$name.out" | head -n 1): job $(job_field JobState)" \
    "after $((SECONDS - t))s, launcher exit ${code:-?}, stop checkpoint $ckpt, stopped record $stopped," \
    "checkpoints verify $verify; $(grep -c 'Exited with exit code 75' "$W/$name.out" || true) task(s) reported exit 75"
}
if phase stop; then
scancel_run stop-srun auto
grep -q "via srun" "$W/stop-srun.out" || fail "train.sbatch did not pick srun where PMIx is available"
grep -q -- "--mpi=pmix" "$W/stop-srun.out" || fail "srun ran without --mpi=pmix"
grep -q "got SIGTERM" "$W/stop-srun.out" || fail "the batch shell did not see the SIGTERM"
has_record "$W/stop-srun" stopped || fail "srun + scancel: no stopped record"
has_stop_checkpoint "$W/stop-srun" || fail "srun + scancel: no stop checkpoint"
"$BERTH" checkpoint verify "$W/stop-srun/checkpoints" >/dev/null || fail "srun + scancel: checkpoints do not verify"
grep -q "berth exited with 75" "$W/stop-srun.out" || fail "srun + scancel: srun did not exit 75"
[[ $(grep -c "task [01]: Exited with exit code 75" "$W/stop-srun.out") == 2 ]] ||
  fail "srun + scancel: not every task exited 75"
grep -q "not requeueing" "$W/stop-srun.out" || fail "a cancelled job must not requeue"
say "srun + scancel: stop checkpoint, both tasks exited 75, not requeued"
scancel_run stop-mpirun mpirun
fi

# ---- 3. node failure -------------------------------------------------------------------------
# failure_run NAME HOW(kill|link): a 2-node srun job loses node-b after its first checkpoint.
failure_run() {
  local name=$1 how=$2 run=$W/$1
  submit "$name" 2 "$run" "$W/long.toml" REQUEUE_ON_FAILURE=1 MAX_REQUEUES=2
  wait_until 180 "the first checkpoint of $name" has_record "$run" checkpoint
  [[ $(job_field NodeList) == node-[a-b] || $(job_field NodeList) == node-a,node-b ]] ||
    fail "$name started on $(job_field NodeList), not on both nodes"
  local pids t
  pids=$(berth_pids_on node-b)
  [[ -n $pids ]] || fail "$name: no berth process on node-b"
  t=$SECONDS
  local t_ns
  t_ns=$(date +%s.%N)
  if [[ $how == kill ]]; then
    # shellcheck disable=SC2086
    kill -9 $pids
    say "$name: SIGKILL to berth on node-b ($(echo $pids))"
    # A node whose ranks all died is suspect: take it out as a health check would.
    sl scontrol update nodename=node-b state=drain reason=berth-test-kill
  else
    bash "$CLUSTER" link node-b down
  fi
  # The job's first run ends: the batch script logs berth's exit and requeues (or Slurm does).
  wait_until $((TIMEOUT + MARGIN + 30)) "$name's first run to end" grep -q "berth exited with\|lost a rank" "$W/$name.out"
  local ended
  ended=$(date +%s.%N)
  local detect
  detect=$(python3 -c "print('%.1f' % ($ended - $t_ns))")
  echo "FIGURE node failure ($how) under srun: the job's first run ended ${detect}s after the failure" \
    "(runtime.comm_timeout_s = $TIMEOUT); $(grep -o 'berth exited with [0-9]*' "$W/$name.out" | head -n 1)"
  python3 -c "import sys; sys.exit(0 if $ended - $t_ns <= $TIMEOUT + $MARGIN else 1)" ||
    fail "$name: the job took ${detect}s to end, more than $TIMEOUT + $MARGIN"
  [[ -z $(berth_pids_on node-a) ]] || fail "$name: berth still running on node-a: $(berth_pids_on node-a)"
  grep -q "rank 1 on node-b" "$W/$name.out" "$run/logs/rank-0.log" ||
    fail "$name: no error names rank 1 on node-b"
  say "$name: error: $(grep -h -m1 "rank 1 on node-b" "$W/$name.out" "$run/logs/rank-0.log" | cut -c1-300)"
  "$BERTH" checkpoint verify "$run/checkpoints" >/dev/null || fail "$name: the checkpoints do not verify"
  if [[ $how == link ]]; then
    wait_until 60 "node-b to be declared down" bash -c \
      "[[ \$(bash '$CLUSTER' run sinfo -h -n node-b -o %t) == down* ]]"
  fi
  wait_until 240 "the requeued $name to finish" job_ended
  state_is COMPLETED || fail "$name after the requeue: $(job_field JobState) $(job_field ExitCode)"
  [[ $(job_field Restarts) -ge 1 ]] || fail "$name was not requeued"
  python3 - "$run/metrics.jsonl" "$LONG_STEPS" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
steps = int(sys.argv[2])
start = next(r for r in recs if r["type"] == "start")
resume = [r for r in recs if r["type"] == "resume"]
done = [r for r in recs if r["type"] == "done"]
assert start["world_size"] == 2, start
assert resume and resume[-1]["world_size"] == 1, resume
assert done, "no done record"
train = [r["step"] for r in recs if r["type"] == "train"]
assert train[-1] == steps, train[-1]
assert set(range(1, steps + 1)) <= set(train), "steps missing"
print("metrics ok: 2 ranks, resumed at step %d with 1 rank, finished at %d" % (resume[-1]["step"], steps))
EOF
  bash "$CLUSTER" link node-b up
  sl scontrol update nodename=node-b state=resume 2>/dev/null || true
  wait_until 60 "node-b to be idle again" bash -c "[[ \$(bash '$CLUSTER' run sinfo -h -n node-b -o %t) == idle ]]"
}
if phase kill; then failure_run fail-kill kill; fi
if phase link; then failure_run fail-link link; fi

bash "$CLUSTER" stop
say "PASS ($((SECONDS - T0))s)"
