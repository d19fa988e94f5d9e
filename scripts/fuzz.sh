#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan) in build-fuzz/ and runs each for
# SECONDS, starting from the committed seeds in fuzz/corpus/<target>/ plus what earlier runs
# found (build-fuzz/corpus/<target>/, not committed). A crash, a sanitizer report, a leak, a hang
# (> 10 s for one input) or an out-of-memory (> 2 GB) fails the run; the input that caused it is
# left in build-fuzz/artifacts/ and the script exits 1. Each target's last status line (runs
# executed, coverage) is printed.
#   usage: scripts/fuzz.sh [SECONDS=600] [TARGET...]     (make fuzz FUZZ_SECONDS=600)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
build=build-fuzz
if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S fuzz -B $build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build $build -j "$(nproc)" >/dev/null
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
export BERTH_FUZZ_MODEL=${BERTH_FUZZ_MODEL:-models/default}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
mkdir -p $build/artifacts
status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  seeds=()
  [[ -d fuzz/corpus/$t ]] && seeds=("fuzz/corpus/$t")
  log=$build/$t.log
  # Inputs up to 4 KiB, or twice the largest seed (a corpus file is larger), so that the seeds
  # are not cut before they are mutated.
  max_len=4096
  if [[ ${#seeds[@]} -gt 0 ]]; then
    largest=$(find "${seeds[0]}" -type f -printf '%s\n' | sort -n | tail -n 1)
    ((2 * ${largest:-0} > max_len)) && max_len=$((2 * largest))
  fi
  # A target's own LeakSanitizer suppressions (a library's leaks, each explained in the file).
  lsan=${LSAN_OPTIONS:-}
  [[ -f fuzz/$t.lsan.supp ]] && lsan="suppressions=fuzz/$t.lsan.supp:print_suppressions=0"
  if LSAN_OPTIONS=$lsan "$build/$t" "$build/corpus/$t" "${seeds[@]}" -max_total_time="$seconds" -max_len="$max_len" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 ${FUZZ_SEED:+-seed=$FUZZ_SEED} \
      -artifact_prefix="$build/artifacts/$t-" >"$log" 2>&1; then
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    echo "$t: ${seconds}s, ${runs:-?} inputs, ${cov:-cov: ?}, no crash, leak or hang"
  else
    status=1
    echo "$t: FAILED (log $log, input in $build/artifacts/):"
    grep -E 'ERROR|SUMMARY|==[0-9]+==|deadly signal|timeout|out-of-memory' "$log" | head -n 15
  fi
done
exit $status
