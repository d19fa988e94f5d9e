#!/usr/bin/env bash
# `--precision int8` against fp32 on CPU: test accuracy (`berth eval`) and prediction throughput
# (`berth predict`, texts/s of the forward passes and of the whole process) for checkpoints
# trained with the repo's configs.
#
# usage: bench/int8_bench.sh [THREADS=2] [BUILD=build] [SETS="sst2 trec6"] [ROWS=3642]
# - Checkpoints: runs/<set>/checkpoints/best (from `berth train --config configs/<set>.toml`),
#   or the directory in $CKPT_<set>.
# - Accuracy: the set's test.csv (../shared/data/<set>/test.csv) through `berth eval`.
# - Throughput: the set's test texts repeated to ROWS, one per line, `berth predict --threads
#   THREADS --batch-size 32`, fp32 and int8 alternately, best of RUNS (env, default 3) each.
# Appends one JSON line per (set, precision) to bench/results/int8.jsonl and prints a table.
set -euo pipefail
THREADS=${1:-2}
BUILD=${2:-build}
SETS=${3:-"sst2 trec6"}
ROWS=${4:-3642}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BERTH="$ROOT/$BUILD/berth"
PY="$ROOT/.venv/bin/python"
OUT="$ROOT/bench/results/int8.jsonl"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
  "flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_vnni|avx512_bf16|amx_bf16|amx_int8)$' | xargs)"
echo "load before: $(uptime)"
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git -C "$ROOT" rev-parse --short HEAD)
rows=()
for set in $SETS; do
  var="CKPT_$set"
  ckpt=${!var:-$ROOT/runs/$set/checkpoints/best}
  [[ -d "$ckpt" ]] || { echo "no checkpoint $ckpt: train with configs/$set.toml first" >&2; exit 2; }
  test_csv="$ROOT/../shared/data/$set/test.csv"
  "$PY" "$ROOT/bench/hf_pipeline_bench.py" texts "$test_csv" "$TMP/$set.txt" "$ROWS"
  declare -A acc=() fwd=() whole=()
  for p in fp32 int8; do
    acc[$p]=$("$BERTH" eval --checkpoint "$ckpt" --input "$test_csv" --precision "$p" \
      --threads "$THREADS" 2> /dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
  done
  for i in $(seq "$RUNS"); do
    for p in fp32 int8; do
      t0=$(date +%s.%N)
      "$BERTH" predict --checkpoint "$ckpt" --input "$TMP/$set.txt" --output "$TMP/out.jsonl" \
        --precision "$p" --threads "$THREADS" --batch-size 32 2> "$TMP/log"
      t1=$(date +%s.%N)
      w=$(echo "$ROWS / ($t1 - $t0)" | bc -l)
      f=$(grep -o 'forward [0-9.]* s' "$TMP/log" | awk -v n="$ROWS" '{print n / $2}')
      echo "  $set $p run $i: whole process $(printf %.1f "$w") texts/s, forward $(printf %.1f "$f") texts/s"
      if [[ -z "${fwd[$p]:-}" ]] || (( $(echo "$f > ${fwd[$p]}" | bc -l) )); then fwd[$p]=$f; fi
      if [[ -z "${whole[$p]:-}" ]] || (( $(echo "$w > ${whole[$p]}" | bc -l) )); then whole[$p]=$w; fi
    done
  done
  for p in fp32 int8; do
    line="{\"set\": \"$set\", \"precision\": \"$p\", \"threads\": $THREADS, \"rows\": $ROWS, \"test_accuracy\": ${acc[$p]}, \"forward_texts_per_s\": ${fwd[$p]}, \"process_texts_per_s\": ${whole[$p]}, \"time\": \"$stamp\", \"commit\": \"$commit\"}"
    echo "$line" >> "$OUT"
    rows+=("$line")
  done
  unset acc fwd whole
done
echo "load after: $(uptime)"
printf '%s\n' "${rows[@]}" | "$PY" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
by = {(r["set"], r["precision"]): r for r in rows}
print("| set | precision | test accuracy (%) | forward texts/s | whole process texts/s | int8 / fp32 (forward) | accuracy change (points) |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for s in dict.fromkeys(r["set"] for r in rows):
    f, q = by[(s, "fp32")], by[(s, "int8")]
    for r in (f, q):
        extra = ("%.2fx" % (q["forward_texts_per_s"] / f["forward_texts_per_s"]),
                 "%+.2f" % (100 * (q["test_accuracy"] - f["test_accuracy"]))) if r is q else ("", "")
        print("| %s | %s | %.2f | %.1f | %.1f | %s | %s |" % (s, r["precision"], 100 * r["test_accuracy"],
              r["forward_texts_per_s"], r["process_texts_per_s"], *extra))
'
