#!/bin/bash
# `berth sweep --mode submit` on a throw-away one-node Slurm cluster (tests/slurm/slurm_cluster.sh;
# needs root). CTest label `slurm`: `make test-slurm`.
#
#   tests/slurm/sweep_test.sh [BERTH_BINARY]
#
# 1. Start the cluster; a tiny random BERT, 400 rows to train on and 80 to evaluate on.
# 2. `berth sweep --mode submit`: a 4-trial grid (optim.lr x train.seed) as a job array of
#    slurm/sweep.sbatch, at most 2 tasks at once, each trial through slurm/train.sbatch.
# 3. Once trial-001 has written a checkpoint, preempt its task: `scontrol requeue <array>_1`.
# 4. Wait for the array to end; check: every task COMPLETED with exit 0, task 1 with Restarts=1;
#    every trial done exactly once ("done" record), trial-001 resumed from a checkpoint in the
#    requeued job (a "resume" record with slurm_restart_count 1) and logged every step; `berth
#    report` shows the 4 trials done, best first, with the best trial's checkpoint.
# 5. Submitting the sweep again submits nothing (every trial is done).
# The cluster is stopped on every exit; the work directory is kept on failure (or with
# BERTH_SLURM_KEEP=1). Skipped (exit 77) when not root.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH=$(realpath "${1:-$ROOT/build/berth}")
PY=${BERTH_PYTHON:-$ROOT/.venv/bin/python}
source "$ROOT/tests/slurm/lib.sh"
source "$ROOT/tests/slurm/tiny_data.sh"
STEPS=${BERTH_SLURM_STEPS:-60}
export BERTH_SLURM_DIR=${BERTH_SLURM_DIR:-/tmp/berth-slurm}

W=$(mktemp -d /tmp/berth-sweep-test.XXXXXX)
chmod 755 "$W"
slurm_test_begin sweep_test "$W"
show_failure() { tail_files 25 "$W"/s/slurm-*.out "$W"/s/trial-001/train.log; }
[[ -x $BERTH ]] || fail "no berth binary at $BERTH"
export OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_btl_tcp_if_include=lo

say "starting the cluster"
bash "$CLUSTER" start

say "tiny model and corpus in $W"
make_tiny_data "$W"
{ head -n 1 "$W/train.csv"; tail -n 80 "$W/train.csv"; } >"$W/dev.csv"
# The swept keys (optim.lr, train.seed) are left to their defaults here.
tiny_config "$W/base.toml" "$W" data.dev="'$W/dev.csv'" optim.lr= optim.warmup_steps=5 \
  train.seed= train.max_steps="$STEPS" train.eval_every=20 checkpoint.every_steps=10 \
  checkpoint.keep_last=2 checkpoint.keep_best=1
cat >"$W/space.toml" <<'EOF2'
method = "grid"
[params]
"optim.lr" = [1e-3, 3e-4]
"train.seed" = [1, 2]
EOF2

say "berth sweep --mode submit: 4 trials, 2 at a time"
out=$(cd "$W" && LAUNCHER=mpirun SIGNAL_LEAD_S=0.001 sl "$BERTH" sweep --config base.toml \
  --space space.toml --out s --mode submit --max-concurrent 2 \
  --sbatch-script "$ROOT/slurm/sweep.sbatch" --sbatch-arg=--ntasks-per-node=1 \
  --sbatch-arg=--gpus-per-node=0 --sbatch-arg=--cpus-per-task=1 --sbatch-arg=--time=20)
echo "$out"
ARRAY=$(sed -n 's/^submitted job array \([0-9]*\).*/\1/p' <<<"$out")
[[ -n $ARRAY ]] || fail "no array job id in: $out"
say "array job $ARRAY"

task_field() { job_field "$2" "${ARRAY}_$1"; }  # task_field TASK KEY
has_checkpoint() { grep -q '"type":"checkpoint"' "$W/s/trial-001/metrics.jsonl" 2>/dev/null; }

wait_until 300 "trial-001's first checkpoint" has_checkpoint
say "trial-001 has a checkpoint: preempting task 1 (scontrol requeue ${ARRAY}_1)"
sl scontrol requeue "${ARRAY}_1"
requeued() { [[ $(task_field 1 Restarts) == 1 ]]; }
wait_until 60 "task 1 to be requeued" requeued

all_finished() {
  local t
  for t in 0 1 2 3; do job_ended "${ARRAY}_$t" || return 1; done
}
wait_until 900 "the array to finish" all_finished
for t in 0 1 2 3; do
  say "task $t: $(task_field "$t" JobState), exit $(task_field "$t" ExitCode), restarts $(task_field "$t" Restarts)"
  [[ $(task_field "$t" JobState) == COMPLETED ]] || fail "task $t did not complete"
  [[ $(task_field "$t" ExitCode) == 0:0 ]] || fail "task $t exit code $(task_field "$t" ExitCode)"
done
[[ $(task_field 1 Restarts) == 1 ]] || fail "task 1 was not requeued once"

python3 - "$W/s" "$ARRAY" "$STEPS" <<'EOF2'
import json, sys
sweep, array, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
for t in range(4):
    recs = [json.loads(l) for l in open("%s/trial-%03d/metrics.jsonl" % (sweep, t))]
    kinds = [r["type"] for r in recs if r["type"] in ("start", "resume", "done")]
    assert kinds.count("done") == 1 and kinds[-1] == "done", (t, kinds)
    assert kinds.count("start") == 1, (t, kinds)  # trained once, never from scratch again
    if t == 1:
        resumes = [r for r in recs if r["type"] == "resume"]
        assert resumes and resumes[-1]["slurm_restart_count"] == 1, resumes
    done = [r["step"] for r in recs if r["type"] == "done"]
    assert done == [steps], (t, done)
print("metrics ok: 4 trials done once each; trial-001 resumed after the requeue")
EOF2

say "berth report on the sweep"
report=$("$BERTH" report "$W/s")
echo "$report"
json=$("$BERTH" report "$W/s" --json)
python3 - "$json" <<'EOF2'
import json, math, os, sys
j = json.loads(sys.argv[1])
assert [t["status"] for t in j["trials"]] == ["done"] * 4, j["trials"]
devs = [t["best_dev"] for t in j["trials"]]
assert all(isinstance(d, float) and math.isfinite(d) for d in devs), devs
assert devs == sorted(devs, reverse=True), devs
assert j["best"]["trial"] == j["trials"][0]["trial"] and os.path.isdir(j["best"]["checkpoint"]), j["best"]
print("report ok: best", j["best"]["trial"], "dev accuracy", devs[0])
EOF2
grep -q "best: trial-00" <<<"$report" || fail "the report names no best trial"

again=$(cd "$W" && sl "$BERTH" sweep --config base.toml --space space.toml --out s --mode submit \
  --sbatch-script "$ROOT/slurm/sweep.sbatch")
grep -q "nothing to submit" <<<"$again" || fail "a finished sweep was submitted again: $again"

bash "$CLUSTER" stop
say "PASS ($((SECONDS - T0))s)"
