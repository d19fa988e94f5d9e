#!/usr/bin/env bash
# Prediction throughput and latency: `berth predict` against Hugging Face
# pipeline("text-classification", model=DIR, tokenizer=DIR, device=-1, batch_size=B,
# truncation=True, max_length=128) on the same checkpoint, same texts, same thread count, same
# batch size, same machine, run side by side (alternating, best of 3 per side).
#
# usage: bench/predict_throughput.sh [ROWS=5000] [THREADS=$(nproc)] [BATCH=32] [BUILD=build]
#                                    [LATENCY_COUNT=500]
# - The checkpoint is made in a temporary directory by bench/hf_pipeline_bench.py
#   make-checkpoint: models/default with a 2-label head (negative/positive) seeded with 0, saved
#   by transformers' save_pretrained, so both sides load exactly the same files.
# - The texts are the sst2 test set (../shared/data/sst2/test.csv, 1,821 texts) repeated to ROWS,
#   one per line (a .txt input for berth; the same lines for the pipeline).
# - Throughput: berth is the wall time of the whole `berth predict` process (start-up, model load,
#   reading, tokenizing, inference, writing JSONL); the pipeline is timed inside Python with and
#   without building the pipeline (model load), excluding the interpreter start and imports.
# - Latency (batch 1): BUILD/predict_latency (bench/predict_latency.cpp, needs
#   -DBERTH_BENCH=ON) times model::Predictor::predict({text}) per text; the pipeline is called
#   on one text at a time. p50/p99 over the first LATENCY_COUNT texts after 20 warm-up calls.
# The load average (uptime) is printed before and after: the machine may be shared.
set -euo pipefail

ROWS=${1:-5000}
THREADS=${2:-$(nproc)}
BATCH=${3:-32}
BUILD=${4:-build}
LAT_N=${5:-500}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BERTH="$ROOT/$BUILD/berth"
LATENCY="$ROOT/$BUILD/predict_latency"
PY="$ROOT/.venv/bin/python"
HF="$ROOT/bench/hf_pipeline_bench.py"
DATA="$ROOT/../shared/data/sst2/test.csv"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

[[ -x "$BERTH" ]] || { echo "no $BERTH: build first (cmake --build $BUILD)" >&2; exit 2; }
[[ -x "$LATENCY" ]] ||
  { echo "no $LATENCY: configure with -DBERTH_BENCH=ON and build predict_latency" >&2; exit 2; }
[[ -f "$DATA" ]] || { echo "needs $DATA" >&2; exit 2; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" "$HF" make-checkpoint "$ROOT/models/default" "$TMP/ckpt" 0 2> /dev/null
"$PY" "$HF" texts "$DATA" "$TMP/texts.txt" "$ROWS"
echo "load before: $(uptime)"

berth_best="" hf_all="" hf_inf=""
for i in 1 2 3; do
  t0=$(date +%s.%N)
  "$BERTH" predict --checkpoint "$TMP/ckpt" --input "$TMP/texts.txt" --output "$TMP/out.jsonl" \
    --threads "$THREADS" --batch-size "$BATCH" --max-length 128 2> "$TMP/predict.log"
  t1=$(date +%s.%N)
  s=$(echo "$t1 - $t0" | bc -l)
  echo "  run $i berth: ${s} s; log: $(grep -o '\[predict\] .*' "$TMP/predict.log")"
  if [[ -z "$berth_best" ]] || (( $(echo "$s < $berth_best" | bc -l) )); then berth_best=$s; fi
  hf=$("$PY" "$HF" throughput "$TMP/ckpt" "$TMP/texts.txt" "$THREADS" "$BATCH" 1 2> /dev/null)
  echo "  run $i pipeline: $hf"
  a=$(echo "$hf" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["with_load_s"])')
  b=$(echo "$hf" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["infer_s"])')
  if [[ -z "$hf_all" ]] || (( $(echo "$a < $hf_all" | bc -l) )); then hf_all=$a; fi
  if [[ -z "$hf_inf" ]] || (( $(echo "$b < $hf_inf" | bc -l) )); then hf_inf=$b; fi
done
[[ $(wc -l < "$TMP/out.jsonl") == "$ROWS" ]] || { echo "berth wrote a wrong line count" >&2; exit 1; }

lat_berth=$("$LATENCY" "$TMP/ckpt" "$TMP/texts.txt" "$THREADS" "$LAT_N" 20)
lat_hf=$("$PY" "$HF" latency "$TMP/ckpt" "$TMP/texts.txt" "$THREADS" "$LAT_N" 20 2> /dev/null)
echo "load after: $(uptime)"

"$PY" - "$ROWS" "$THREADS" "$BATCH" "$berth_best" "$hf_all" "$hf_inf" "$lat_berth" "$lat_hf" <<'PYEOF'
import json, sys
rows, threads, batch = int(sys.argv[1]), sys.argv[2], sys.argv[3]
berth, hf_all, hf_inf = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
lb, lh = json.loads(sys.argv[7]), json.loads(sys.argv[8])
print(f"texts={rows} threads={threads} batch={batch} (best of 3)")
print("| run | seconds | texts/s |")
print("| --- | ---: | ---: |")
print(f"| berth predict (whole process, model load included) | {berth:.2f} | {rows / berth:,.1f} |")
print(f"| HF pipeline incl. model load | {hf_all:.2f} | {rows / hf_all:,.1f} |")
print(f"| HF pipeline excl. model load | {hf_inf:.2f} | {rows / hf_inf:,.1f} |")
print(f"ratio berth / HF pipeline excl. load: {hf_inf / berth:.2f}x the throughput "
      f"(incl. load: {hf_all / berth:.2f}x)")
print("| latency, batch 1 | p50 ms | p99 ms | mean ms |")
print("| --- | ---: | ---: | ---: |")
print(f"| berth (model::Predictor) | {lb['p50_ms']:.2f} | {lb['p99_ms']:.2f} | {lb['mean_ms']:.2f} |")
print(f"| HF pipeline | {lh['p50_ms']:.2f} | {lh['p99_ms']:.2f} | {lh['mean_ms']:.2f} |")
PYEOF
