#!/usr/bin/env bash
# Two builds side by side on the same checkpoint, interleaved, 3 rounds (BENCHMARKS.md, "Second
# round: int8 on oneDNN"): the 2-text predict process (peak RSS and wall by /usr/bin/time, the
# model load from predict's log, the predictions compared), then batch-1 latency through
# model::Predictor (BUILD/predict_latency, -DBERTH_BENCH=ON) for fp32 and int8.
# usage: bench/build_ab.sh OLD_BUILD NEW_BUILD CKPT TEXTS [THREADS=1] [COUNT=200]
# CKPT: e.g. `bench/hf_pipeline_bench.py make-checkpoint models/default CKPT 0`; TEXTS: one per line.
set -euo pipefail
old=$1 new=$2 ck=$3 texts=$4 threads=${5:-1} count=${6:-200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -n 2 "$texts" >"$tmp/two.txt"
echo "load before: $(uptime)"
for r in 1 2 3; do
  for side in old new; do
    b=$old
    [[ $side == new ]] && b=$new
    /usr/bin/time -f "$side predict_latency (2 texts) round $r: %e s wall, %M KB peak" \
      "$b/predict_latency" "$ck" "$tmp/two.txt" 1 2 0 fp32 >/dev/null 2>"$tmp/pl.err"
    tail -n 1 "$tmp/pl.err"
    /usr/bin/time -f "$side berth predict (2 texts) round $r: %e s wall, %M KB peak" \
      "$b/berth" predict --checkpoint "$ck" --input "$tmp/two.txt" --output "$tmp/$side.jsonl" \
      >/dev/null 2>"$tmp/bp.err"
    echo "  $(grep -o 'model load [0-9.]* s' "$tmp/bp.err" | head -n 1) $(tail -n 1 "$tmp/bp.err")"
  done
done
cmp -s <(cut -c1-400 "$tmp/old.jsonl") <(cut -c1-400 "$tmp/new.jsonl") && echo "same predictions file" || echo "predictions differ"
for r in 1 2 3; do
  for p in fp32 int8; do
    for side in old new; do
      b=$old
      [[ $side == new ]] && b=$new
      echo "$side $p batch 1 round $r: $("$b/predict_latency" "$ck" "$texts" "$threads" "$count" 20 "$p" 2>/dev/null)"
    done
  done
done
echo "load after: $(uptime)"
