#!/usr/bin/env bash
# Berth's tests under sanitizers, each kind in its own build directory (Berth's code
# instrumented; LibTorch, MPI and HDF5 not: scripts/sanitizers/*.supp list, with reasons, what
# is suppressed because of them).
#   scripts/sanitize.sh asan   (make test-asan) ASan + UBSan, build-asan/: every test that runs in
#                              one process tree without mpirun (labels gpu, slow, distributed,
#                              fuzz and slurm left out), the unit tests and the end-to-end ones.
#   scripts/sanitize.sh tsan   (make test-tsan) TSan, build-tsan/: the MPI communicator's
#                              communication thread and the gradient reducer on 2 and 3 ranks
#                              (tests/distributed/reducer_mpi_check under mpirun).
# A sanitizer report fails the test that caused it. JOBS (default 2) bounds the build.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/sanitize.sh asan|tsan}
jobs=${JOBS:-2}
supp=$PWD/scripts/sanitizers
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
case $kind in
  asan)
    build=build-asan
    flags=address,undefined
    # detect_container_overflow=0: libstdc++'s container annotations are in Berth's code only;
    # a std::vector filled by LibTorch (uninstrumented) looks overflowed to ASan.
    export ASAN_OPTIONS=detect_leaks=1:detect_container_overflow=0:abort_on_error=0:exitcode=86
    export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
    export UBSAN_OPTIONS=suppressions=$supp/ubsan.supp:print_stacktrace=1:halt_on_error=1
    ;;
  tsan)
    build=build-tsan
    flags=thread
    export TSAN_OPTIONS=suppressions=$supp/tsan.supp:halt_on_error=0:exitcode=66:second_deadlock_stack=1
    ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan" >&2
    exit 2
    ;;
esac
if [[ ! -f $build/build.ninja ]]; then
  cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_SANITIZE=$flags >/dev/null
fi
start=$(date +%s)
if [[ $kind == asan ]]; then
  # The test executables are run at build time to list their tests: under the same options.
  cmake --build $build -j "$jobs"
  built=$(date +%s)
  echo "build: $((built - start)) s"
  status=0
  (cd $build && ctest --output-on-failure -j "$jobs" --timeout 3000 \
    -LE 'gpu|slow|distributed|fuzz|slurm' ${CTEST_ARGS:-}) || status=$?
else
  cmake --build $build -j "$jobs" --target reducer_mpi_check
  built=$(date +%s)
  echo "build: $((built - start)) s"
  status=0
  mpirun=$(grep -m1 '^MPIEXEC_EXECUTABLE:' $build/CMakeCache.txt | cut -d= -f2)
  for np in 2 3; do
    log=$build/reducer-np$np.log
    if OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$mpirun" -np $np --oversubscribe \
        --bind-to none -x TSAN_OPTIONS "$build/reducer_mpi_check" >"$log" 2>&1 &&
        ! grep -q 'WARNING: ThreadSanitizer' "$log"; then
      echo "reducer_mpi_check on $np ranks: ok, no ThreadSanitizer report"
    else
      status=1
      echo "reducer_mpi_check on $np ranks: FAILED (log $log)"
      grep -A12 'WARNING: ThreadSanitizer' "$log" | head -n 60 || tail -n 20 "$log"
    fi
  done
fi
echo "tests: $(($(date +%s) - built)) s"
exit $status
