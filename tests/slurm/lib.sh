# Sourced by the Slurm tests (tests/slurm/*_test.sh): the harness around a throw-away cluster
# (tests/slurm/slurm_cluster.sh) that each of them needs, written once. Expects ROOT.
#
# A test calls slurm_test_begin NAME WORK_DIR first (skips with 77 unless root, installs the
# exit trap) and may define show_failure (its own logs, printed when it fails). On exit the
# trap stops ref_pid (a reference run in the background, if set) and the cluster, and removes
# WORK_DIR when the test passed (kept on failure or with BERTH_SLURM_KEEP=1).
CLUSTER=$ROOT/tests/slurm/slurm_cluster.sh
ref_pid=
JOB=

slurm_test_begin() {  # slurm_test_begin NAME WORK_DIR
  TEST_NAME=$1
  WORK_DIR=$2
  T0=$SECONDS
  if [[ $(id -u) != 0 ]]; then
    echo "SKIP: needs root (namespaces, slurmctld, slurmd, munged)"
    exit 77
  fi
  trap slurm_test_end EXIT
  # A command that fails outside `fail` (set -e) still says where.
  trap 'echo "FAIL: line $LINENO: exit $? from: $BASH_COMMAND" >&2' ERR
  trap 'exit 130' INT TERM
  # Root runs mpirun in these tests: Open MPI asks for consent.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
}

slurm_test_end() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $ref_pid ]] && kill -0 "$ref_pid" 2>/dev/null; then kill "$ref_pid" 2>/dev/null || true; fi
  if ((rc != 0 && rc != 77)); then
    if declare -F show_failure >/dev/null; then show_failure || true; fi
    echo "---- slurmctld log" >&2
    tail -n 20 "$BERTH_SLURM_DIR/slurmctld.log" 2>/dev/null >&2 || true
  fi
  bash "$CLUSTER" stop || true
  if ((rc == 0)) && [[ -z ${BERTH_SLURM_KEEP:-} ]]; then rm -rf "$WORK_DIR"; else echo "kept: $WORK_DIR" >&2; fi
  exit "$rc"
}

say() { echo "[$TEST_NAME +$((SECONDS - T0))s] $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
sl() { bash "$CLUSTER" run "$@"; }
on_node() { bash "$CLUSTER" node "$@"; }
# Prints the tails of the given files (those that exist), for show_failure.
tail_files() {  # tail_files LINES FILE...
  local lines=$1 f
  shift
  for f in "$@"; do
    [[ -f $f ]] || continue
    echo "---- $f" >&2
    tail -n "$lines" "$f" >&2 || true
  done
}

wait_until() {  # wait_until SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2
  shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < end)) || fail "timed out after ${limit}s waiting for $what"
    sleep "${WAIT_POLL_S:-0.5}"
  done
}
# A field of `scontrol show job` (JOB by default; ARRAY_TASK for a task of an array).
job_field() {  # job_field KEY [JOB]
  sl scontrol show job "${2:-$JOB}" 2>/dev/null | tr ' ' '\n' |
    awk -F= -v k="$1" '$1 == k && !n++ { sub(/^[^=]*=/, ""); print }'
}
job_ended() {  # job_ended [JOB]
  [[ $(job_field JobState "${1:-$JOB}") =~ ^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)$ ]]
}
