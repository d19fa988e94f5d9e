#!/usr/bin/env bash
# Where the wall time of a short `berth predict` goes (BENCHMARKS.md, "Start-up of a 2-text CPU
# predict"): uprobes on the dynamic loader's first initialiser call, Berth's main and the
# predictor's steps, libc's exit(), and the exec/exit tracepoints split each run into phases;
# cpu-clock samples of every thread give each phase's CPU. Then LD_DEBUG=statistics for the
# loader's own cycles and the same probes on `berth --version` (the floor).
# usage: bench/startup_breakdown.sh BERTH CKPT TEXTS [THREADS=2] [RUNS=5] [TOP=0]
# TOP > 0 also lists, for the first run, the TOP functions most on the CPU in each phase.
# Needs root (perf probe) and perf; the probes are removed on exit. Runs under
# /tmp/berth-bench.lock like every timing on the shared machine.
set -euo pipefail
berth=$(readlink -f "$1") ck=$2 texts=$3 threads=${4:-2} runs=${5:-5} top=${6:-0}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
ld=$(readlink -f /lib64/ld-linux-x86-64.so.2)
libc=$(ldd "$berth" | awk '$1 == "libc.so.6" {print $3}')
head -n 2 "$texts" >"$tmp/two.txt"
remove_probes() { perf probe -q -d 'probe_berth:*' -d 'probe_ld:*' -d 'probe_libc:*' 2>/dev/null || true; }
trap 'remove_probes; rm -rf "$tmp"' EXIT
remove_probes  # a run cut short leaves its probes behind

# An address from the executable's symbol table: perf probe cannot take C++ names with
# arguments, and an address needs no debug information.
addr() {
  local a
  a=$(nm "$berth" | awk -v re="$1" '$2 ~ /^[Tt]$/ && $3 ~ re && $3 !~ /\.cold$/ {print $1; exit}')
  [[ -n $a ]] || { echo "startup_breakdown: no symbol matching $1 in $berth" >&2; exit 2; }
  echo "0x$a"
}
probe() { perf probe -q -x "$1" -a "$2" || { echo "startup_breakdown: perf probe $2 failed" >&2; exit 2; }; }
probe "$ld" call_init
probe "$libc" exit
probe "$berth" "main=$(addr '^main$')"
probe "$berth" "check_ck=$(addr '^_ZN5berth8launcher24check_checkpoint_for_use')"
probe "$berth" "predictor=$(addr '^_ZN5berth5model9PredictorC[12]ERKNS0_16PredictorOptionsE$')"
for p in "load:^_ZN5berth5model15load_classifierERK" \
         "tok:^_ZN5berth4data9Tokenizer14from_directoryERK" \
         "table:^_ZN5berth5model9Predictor13predict_tableERK"; do
  a=$(addr "${p#*:}")
  probe "$berth" "${p%%:*}=$a"
  probe "$berth" "${p%%:*}_ret=$a%return"
done
events="sched:sched_process_exec,sched:sched_process_exit,syscalls:sys_enter_exit_group"
events+=",probe_ld:call_init,probe_libc:exit,probe_berth:*"

echo "load before: $(uptime)"
record() {  # NAME COMMAND...: one recorded run -> $tmp/NAME.txt
  local name=$1
  shift
  flock /tmp/berth-bench.lock perf record -q -F 1000 -e cpu-clock -e "$events" -o "$tmp/$name.data" -- "$@" \
    >/dev/null 2>"$tmp/$name.err" || { cat "$tmp/$name.err" >&2; exit 1; }
  perf script -i "$tmp/$name.data" -F tid,time,event,ip,sym,dso >"$tmp/$name.txt" 2>/dev/null
}
for r in $(seq "$runs"); do
  record "predict-$r" "$berth" predict --checkpoint "$ck" --input "$tmp/two.txt" \
    --threads "$threads" --output /dev/null
  record "version-$r" "$berth" --version
done
echo "== berth predict of 2 texts, $threads threads, $runs runs"
python3 "$here/startup_breakdown.py" --top "$top" "$tmp"/predict-*.txt
grep -ho 'model load [0-9.]* s, tokenize [0-9.]* s, forward [0-9.]* s' "$tmp"/predict-*.err | sort | head -n "$runs"
echo "== berth --version (the floor), $runs runs"
python3 "$here/startup_breakdown.py" "$tmp"/version-*.txt
echo "== the dynamic loader (LD_DEBUG=statistics), berth predict"
# The loader prints its relocation counts from exit(), which the fast exit skips.
flock /tmp/berth-bench.lock env LD_DEBUG=statistics BERTH_FAST_EXIT=0 "$berth" predict --checkpoint "$ck" --input "$tmp/two.txt" --threads "$threads" \
  --output /dev/null 2>&1 >/dev/null | grep -E 'total startup time|time needed for relocation|number of relocations|relative relocations' | head -n 4
echo "shared objects mapped: $(ldd "$berth" | grep -c '=>')"
echo "load after: $(uptime)"
