#!/usr/bin/env bash
# Berth against ONNX Runtime on CPU, side by side in one call: fp32, int8 and (where the CPU has
# avx512_bf16 or amx_bf16) bf16; throughput, batch-1 latency, start-up and peak RSS, accuracy.
#
# usage: bench/ort_compare.sh [THREADS=$(nproc)] [ROWS=2600] [BUILD=build-cpu] [ROUNDS=3]
# - ONNX Runtime, onnx and onnxscript are installed into .venv from PyPI where missing.
# - Checkpoints (cached in runs/ort_compare/, bench/ort_compare.py finetune): models/default
#   fine-tuned briefly by transformers on SST-2 (2 labels, $STEPS_SST2=60 steps of 32) and
#   TREC-6 (6 labels, $STEPS_TREC6=80 steps); both sides load the same save_pretrained files.
#   The SST-2 one is the "default model with a 2-label head" of the speed rows.
# - ONNX: torch.onnx.export, ONNX Runtime's BERT graph optimizer (fused attention,
#   SkipLayerNormalization, BiasGelu), dynamic per-channel int8 (bench/ort_compare.py export).
# - Throughput: ROWS SST-2 test texts (cycled), batch 32 sorted by length, tokenizing included
#   on both sides (the Rust tokenizer for ORT, Berth's own): `berth predict` is timed as a whole
#   process and by its own forward+tokenize counters; ORT inside its process after the session
#   is made. Latency: one text per call, 20 warm-up then COUNT=300 timed (BUILD/predict_latency,
#   needs -DBERTH_BENCH=ON; `make cpu` configures it). Start-up and peak RSS: a process predicting
#   2 texts under /usr/bin/time -v, for BUILD/berth, build/berth (the CUDA-linked default, if
#   built) and the ORT script.
# - ROUNDS interleaved rounds (Berth and ORT, each precision, alternately); the table gives the
#   median and the min-max spread. Accuracy (deterministic) is measured once.
# - NO_AMX=1: every berth, predict_latency and ONNX Runtime process (timed or accuracy) runs
#   under BUILD/no_amx, which refuses the AMX permission: oneDNN, MLAS and Berth then take their
#   AVX-512 (VNNI, BF16) kernels, as on the fleet's CPUs without AMX (issue 27's). The export
#   (a graph rewrite, cached) is not.
# Prints a Markdown table; appends JSON lines to bench/results/ort_compare.jsonl.
set -euo pipefail
THREADS=${1:-$(nproc)}
ROWS=${2:-2600}
BUILD=${3:-build-cpu}
ROUNDS=${4:-3}
COUNT=${COUNT:-300}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BERTH="$ROOT/$BUILD/berth"
LAT="$ROOT/$BUILD/predict_latency"
PY="$ROOT/.venv/bin/python"
HELPER="$ROOT/bench/ort_compare.py"
DATA="$ROOT/../shared/data"
CACHE="$ROOT/runs/ort_compare"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
[[ -x "$BERTH" && -x "$LAT" ]] ||
  { echo "needs $BERTH and $LAT: make cpu (or -DBERTH_BENCH=ON and build predict_latency)" >&2; exit 2; }
NO_AMX=${NO_AMX:-0}
RUN=()  # the prefix of every measured process
if [[ $NO_AMX == 1 ]]; then
  [[ -x "$ROOT/$BUILD/no_amx" ]] ||
    { echo "NO_AMX=1 needs $ROOT/$BUILD/no_amx: make cpu (or cmake --build $BUILD --target no_amx)" >&2; exit 2; }
  RUN=("$ROOT/$BUILD/no_amx")
fi
"$PY" -c 'import onnxruntime, onnx, onnxscript' 2> /dev/null ||
  "$PY" -m pip install -q onnxruntime onnx onnxscript
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
flags=$(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' |
  grep -E '^(avx2|avx512f|avx512_vnni|avx512_bf16|amx_bf16|amx_int8)$' | xargs)
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; flags: $flags"
echo "onnxruntime $("$PY" -c 'import onnxruntime; print(onnxruntime.__version__)'); berth $BUILD at $(git -C "$ROOT" rev-parse --short HEAD)"
[[ $NO_AMX == 1 ]] && echo "NO_AMX=1: every berth, predict_latency and ONNX Runtime process runs under $BUILD/no_amx (AMX permission refused: AVX-512 kernels on both sides, as on a CPU without AMX)"
echo "load before: $(uptime)"
PRECISIONS="fp32 int8"
[[ " $flags " =~ " avx512_bf16 " || " $flags " =~ " amx_bf16 " ]] && PRECISIONS="fp32 int8 bf16"

# CKPT=DIR: speed rows on that checkpoint (any 2-label BERT directory, e.g. bench/
# hf_pipeline_bench.py make-checkpoint's), no fine-tuning and no accuracy rows.
SETS="sst2 trec6"
[[ -n "${CKPT:-}" ]] && SETS=""
mkdir -p "$CACHE"
for set in $SETS; do
  steps_var="STEPS_${set^^}"
  steps=${!steps_var:-$([[ $set == sst2 ]] && echo 60 || echo 80)}
  if [[ ! -f "$CACHE/$set/model.safetensors" ]]; then
    echo "fine-tuning $set ($steps steps) ..."
    nice -n 10 "$PY" "$HELPER" finetune "$ROOT/models/default" "$CACHE/$set" \
      "$DATA/$set/train.csv" "$steps" 0 2> "$TMP/ft.log" || { cat "$TMP/ft.log"; exit 1; }
  fi
  if [[ ! -f "$CACHE/$set/onnx/int8.onnx" ]]; then
    mkdir -p "$CACHE/$set/onnx"
    "$PY" "$HELPER" export "$CACHE/$set" "$CACHE/$set/onnx" "$THREADS" 2> "$TMP/export.log" ||
      { cat "$TMP/export.log"; exit 1; }
    echo "ORT fusions ($set): $(grep '^{' "$TMP/export.log" | tail -1)"
  fi
done
CK=${CKPT:-$CACHE/sst2}
if [[ ! -f "$CK/onnx/int8.onnx" ]]; then
  mkdir -p "$CK/onnx"
  "$PY" "$HELPER" export "$CK" "$CK/onnx" "$THREADS" 2> "$TMP/export.log" ||
    { cat "$TMP/export.log"; exit 1; }
  echo "ORT fusions: $(grep '^{' "$TMP/export.log" | tail -1)"
fi
"$PY" "$HELPER" texts "$DATA/sst2/test.csv" "$TMP/texts.txt" "$ROWS"
head -2 "$TMP/texts.txt" > "$TMP/two.txt"

out="$TMP/results.jsonl"
rec() { echo "$1" >> "$out"; }
peak() {  # peak RSS (MB) and wall (s) of a command, from /usr/bin/time -v
  /usr/bin/time -v "$@" > /dev/null 2> "$TMP/tv" || { cat "$TMP/tv" >&2; return 1; }
  awk -F': ' '/Maximum resident/ {r=$2/1024} /Elapsed \(wall/ {n=split($2,a,":"); w=a[n]+(n>1?a[n-1]*60:0)} END {printf "%.1f %.3f\n", r, w}' "$TMP/tv"
}
for round in $(seq "$ROUNDS"); do
  for p in $PRECISIONS; do
    # Berth throughput: the whole process, and its tokenize + forward counters.
    t0=$(date +%s.%N)
    "${RUN[@]}" "$BERTH" predict --checkpoint "$CK" --input "$TMP/texts.txt" --output "$TMP/o.jsonl" \
      --precision "$p" --threads "$THREADS" --batch-size 32 2> "$TMP/log"
    t1=$(date +%s.%N)
    work=$(grep -o -E '(tokenize|forward) [0-9.]+ s' "$TMP/log" | awk '{s+=$2} END {print s}')
    rec "{\"side\": \"berth\", \"p\": \"$p\", \"round\": $round, \"process_tps\": $(echo "$ROWS / ($t1 - $t0)" | bc -l), \"tps\": $(echo "$ROWS / $work" | bc -l)}"
    lat=$("${RUN[@]}" "$LAT" "$CK" "$TMP/texts.txt" "$THREADS" "$COUNT" 20 "$p" 2> /dev/null)
    rec "{\"side\": \"berth\", \"p\": \"$p\", \"round\": $round, \"lat\": $lat}"
    [[ $p == bf16 ]] && continue  # ONNX Runtime has no bf16 path for this graph on CPU
    t0=$(date +%s.%N)
    r=$("${RUN[@]}" "$PY" "$HELPER" throughput "$CK/onnx/$p.onnx" "$CK" "$TMP/texts.txt" "$THREADS" 32)
    t1=$(date +%s.%N)
    rec "{\"side\": \"ort\", \"p\": \"$p\", \"round\": $round, \"process_tps\": $(echo "$ROWS / ($t1 - $t0)" | bc -l), \"tps\": $(echo "$r" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["texts_per_s"])')}"
    lat=$("${RUN[@]}" "$PY" "$HELPER" latency "$CK/onnx/$p.onnx" "$CK" "$TMP/texts.txt" "$THREADS" "$COUNT" 20)
    rec "{\"side\": \"ort\", \"p\": \"$p\", \"round\": $round, \"lat\": $lat}"
  done
  # Start-up and peak RSS: 2 texts, fp32.
  read -r rss wall < <(peak "${RUN[@]}" "$BERTH" predict --checkpoint "$CK" --input "$TMP/two.txt" --threads "$THREADS")
  rec "{\"side\": \"berth\", \"p\": \"$BUILD\", \"round\": $round, \"rss_mb\": $rss, \"start_s\": $wall}"
  if [[ "$BUILD" != build && -x "$ROOT/build/berth" ]]; then
    read -r rss wall < <(peak "${RUN[@]}" "$ROOT/build/berth" predict --checkpoint "$CK" --input "$TMP/two.txt" --threads "$THREADS")
    rec "{\"side\": \"berth\", \"p\": \"build\", \"round\": $round, \"rss_mb\": $rss, \"start_s\": $wall}"
  fi
  read -r rss wall < <(peak "${RUN[@]}" "$PY" "$HELPER" throughput "$CK/onnx/fp32.onnx" "$CK" "$TMP/two.txt" "$THREADS" 32)
  rec "{\"side\": \"ort\", \"p\": \"python\", \"round\": $round, \"rss_mb\": $rss, \"start_s\": $wall}"
done
# Accuracy on the test sets, once (deterministic).
for set in $SETS; do
  for p in $PRECISIONS; do
    a=$("${RUN[@]}" "$BERTH" eval --checkpoint "$CACHE/$set" --input "$DATA/$set/test.csv" --precision "$p" \
      --threads "$THREADS" --json 2> /dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
    rec "{\"side\": \"berth\", \"p\": \"$p\", \"set\": \"$set\", \"accuracy\": $a}"
    [[ $p == bf16 ]] && continue
    a=$("${RUN[@]}" "$PY" "$HELPER" accuracy "$CACHE/$set/onnx/$p.onnx" "$CACHE/$set" "$DATA/$set/test.csv" "$THREADS" |
      "$PY" -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
    rec "{\"side\": \"ort\", \"p\": \"$p\", \"set\": \"$set\", \"accuracy\": $a}"
  done
done
echo "load after: $(uptime)"
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git -C "$ROOT" rev-parse --short HEAD)
mkdir -p "$ROOT/bench/results"
sed "s/}\$/, \"time\": \"$stamp\", \"commit\": \"$commit\", \"threads\": $THREADS, \"rows\": $ROWS, \"no_amx\": $NO_AMX}/" "$out" \
  >> "$ROOT/bench/results/ort_compare.jsonl"
"$PY" - "$out" << 'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def vals(side, p, key, sub=None):
    v = [r[key][sub] if sub else r[key] for r in rows if r["side"] == side and r["p"] == p and key in r]
    return v
def cell(v, fmt="%.1f"):
    if not v: return "-"
    return (fmt % statistics.median(v)) + " (" + (fmt % min(v)) + "-" + (fmt % max(v)) + ")"
def ratio(a, b, inv=False):
    if not a or not b: return "-"
    r = statistics.median(b) / statistics.median(a) if inv else statistics.median(a) / statistics.median(b)
    return "%.2fx" % r
ps = [p for p in ("fp32", "int8", "bf16") if vals("berth", p, "tps")]
print("| precision | Berth texts/s (work) | ORT texts/s (work) | Berth / ORT | Berth texts/s (process) | ORT texts/s (process) | Berth p50 / p90 ms | ORT p50 / p90 ms | p50 ORT / Berth |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for p in ps:
    bt, ot = vals("berth", p, "tps"), vals("ort", p, "tps")
    b50, o50 = vals("berth", p, "lat", "p50_ms"), vals("ort", p, "lat", "p50_ms")
    print("| %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s |" % (
        p, cell(bt), cell(ot), ratio(bt, ot), cell(vals("berth", p, "process_tps")),
        cell(vals("ort", p, "process_tps")), cell(b50, "%.2f"), cell(vals("berth", p, "lat", "p90_ms"), "%.2f"),
        cell(o50, "%.2f"), cell(vals("ort", p, "lat", "p90_ms"), "%.2f"), ratio(b50, o50, inv=True)))
print()
print("| process (predict 2 texts, fp32) | peak RSS MB | wall s (start-up + 2 texts) |")
print("| --- | ---: | ---: |")
for side, p, name in (("berth", None, "berth"), ("ort", "python", "ONNX Runtime (python + tokenizers)")):
    for q in sorted({r["p"] for r in rows if r["side"] == side and "rss_mb" in r}):
        if p and q != p: continue
        label = name if side == "ort" else "berth (%s/berth)" % q
        print("| %s | %s | %s |" % (label, cell(vals(side, q, "rss_mb"), "%.0f"), cell(vals(side, q, "start_s"), "%.2f")))
print()
print("| test set | " + " | ".join("Berth %s" % p for p in ps) + " | ORT fp32 | ORT int8 |")
print("| --- |" + " ---: |" * (len(ps) + 2))
for s in dict.fromkeys(r["set"] for r in rows if "set" in r):
    acc = lambda side, p: next((100 * r["accuracy"] for r in rows if r["side"] == side and r["p"] == p and r.get("set") == s), float("nan"))
    f = acc("berth", "fp32")
    cells = ["%.2f" % f] + ["%.2f (%+.2f)" % (acc("berth", p), acc("berth", p) - f) for p in ps[1:]]
    print("| %s | %s | %.2f | %.2f |" % (s, " | ".join(cells), acc("ort", "fp32"), acc("ort", "int8")))
EOF
