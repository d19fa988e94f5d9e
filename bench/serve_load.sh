#!/usr/bin/env bash
# Load test of `berth serve` against two Python servers on the same checkpoint, thread count,
# machine and run, loopback only: bench/serve_baseline.py (the standard library's
# ThreadingHTTPServer around the transformers pipeline, one pipeline call per request) and
# bench/serve_baseline_batched.py (the stronger one: dynamic batching across requests in one
# model thread, as TorchServe/Triton/TEI do). SIDES="berth batched" runs a subset.
#
# usage: bench/serve_load.sh [THREADS=2] [REQUESTS=2000] [SECONDS=60] [BUILD=build]
#                            [CLIENTS="1 8 64"] [PRECISION=fp32]
# - Checkpoint: models/default with a seeded 2-label head saved by transformers
#   (bench/hf_pipeline_bench.py make-checkpoint), as bench/predict_throughput.sh.
# - Texts: the SST-2 test set (../shared/data/sst2/test.csv, 1,821 sentences), in file order.
# - For each client count (closed loop, keep-alive, bench/serve_load.py), berth serve then the
#   baselines; each level stops after REQUESTS timed answers or SECONDS, after 20 warm-up answers.
# - Batch-1 latency of `berth predict`'s path (BUILD/predict_latency, -DBERTH_BENCH=ON) on the
#   same checkpoint and texts, for the 1-client target (p50 within 1 ms of it): LATENCY_REPS
#   (default 3) pairs of predict_latency and one serve client, in turn, after the levels, each
#   over LATENCY_REQUESTS (default REQUESTS) texts.
# Results: one JSON line per (server, clients) appended to bench/results/serve_load.jsonl, and a
# Markdown table on stdout. The load average and CPU flags are printed: the machine may be shared.
set -euo pipefail

THREADS=${1:-2}
REQUESTS=${2:-2000}
SECONDS_MAX=${3:-60}
BUILD=${4:-build}
CLIENTS=${5:-"1 8 64"}
PRECISION=${6:-fp32}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BERTH="$ROOT/$BUILD/berth"
PY="$ROOT/.venv/bin/python"
DATA="$ROOT/../shared/data/sst2/test.csv"
OUT="$ROOT/bench/results/serve_load.jsonl"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

[[ -x "$BERTH" ]] || { echo "no $BERTH: build first" >&2; exit 2; }
[[ -f "$DATA" ]] || { echo "needs $DATA" >&2; exit 2; }

TMP=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
"$PY" "$ROOT/bench/hf_pipeline_bench.py" make-checkpoint "$ROOT/models/default" "$TMP/ckpt" 0 \
  2> /dev/null
"$PY" "$ROOT/bench/hf_pipeline_bench.py" texts "$DATA" "$TMP/texts.txt" 1821

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
  "flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_vnni|avx512_bf16|amx_bf16|amx_int8)$' | xargs)"
echo "load before: $(uptime)"

"$BERTH" serve --checkpoint "$TMP/ckpt" --port 0 --port-file "$TMP/berth.port" \
  --threads "$THREADS" --precision "$PRECISION" 2> "$TMP/berth.log" &
pids+=($!)
berth_pid=$!
# A free port for the baseline: bind, read, release.
base_port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PY" "$ROOT/bench/serve_baseline.py" "$TMP/ckpt" "$base_port" "$THREADS" > "$TMP/base.out" \
  2> "$TMP/base.log" &
pids+=($!)
# The stronger baseline: the same model behind a dynamic-batching Python server.
batched_port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PY" "$ROOT/bench/serve_baseline_batched.py" "$TMP/ckpt" "$batched_port" "$THREADS" \
  > "$TMP/batched.out" 2> "$TMP/batched.log" &
pids+=($!)
for _ in $(seq 600); do
  [[ -f "$TMP/berth.port" ]] && grep -q ready "$TMP/base.out" && grep -q ready "$TMP/batched.out" && break
  sleep 0.1
done
[[ -f "$TMP/berth.port" ]] || { cat "$TMP/berth.log"; exit 1; }
grep -q ready "$TMP/base.out" || { cat "$TMP/base.log"; exit 1; }
grep -q ready "$TMP/batched.out" || { cat "$TMP/batched.log"; exit 1; }
berth_port=$(cat "$TMP/berth.port")

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git -C "$ROOT" rev-parse --short HEAD)
mkdir -p "$(dirname "$OUT")"
rows=()
for c in $CLIENTS; do
  for side in ${SIDES:-berth baseline batched}; do
    port=$berth_port
    [[ $side == baseline ]] && port=$base_port
    [[ $side == batched ]] && port=$batched_port
    r=$("$PY" "$ROOT/bench/serve_load.py" "$port" "$TMP/texts.txt" "$c" "$REQUESTS" \
      "$SECONDS_MAX" 20)
    echo "  $side, $c clients: $r"
    line=$(echo "$r" | "$PY" -c "import json,sys; d=json.load(sys.stdin); d.update(server='$side', threads=$THREADS, precision='$PRECISION', time='$stamp', commit='$commit'); print(json.dumps(d))")
    echo "$line" >> "$OUT"
    rows+=("$line")
  done
done
curl -s "http://127.0.0.1:$berth_port/metrics" | grep -E '^berth_(batches_total|texts_total|batch_texts_(sum|count))' || true

# The 1-client target (serve p50 <= predict's batch-1 p50 + 1 ms), paired: this VM's batch-1
# forward moves +-30 % from minute to minute, so predict's path and one serve client run in
# turn, LATENCY_REPS times, on the same texts (20 warm-up, then REQUESTS, as serve_load.py),
# while both servers idle; each pair's difference is reported and their median decides.
pairs=()
lat_n=${LATENCY_REQUESTS:-$REQUESTS}
if [[ -x "$ROOT/$BUILD/predict_latency" ]]; then
  for rep in $(seq "${LATENCY_REPS:-3}"); do
    lat=$("$ROOT/$BUILD/predict_latency" "$TMP/ckpt" "$TMP/texts.txt" "$THREADS" "$lat_n" 20 \
      2> /dev/null)
    one=$("$PY" "$ROOT/bench/serve_load.py" "$berth_port" "$TMP/texts.txt" 1 "$lat_n" \
      "$SECONDS_MAX" 20)
    echo "  pair $rep: berth predict path, batch 1: $lat; berth serve, 1 client: $one"
    pairs+=("{\"predict\": $lat, \"serve\": $one}")
  done
else
  echo "no $BUILD/predict_latency (configure with -DBERTH_BENCH=ON): 1-client pairs skipped"
fi
kill -TERM "$berth_pid"
wait "$berth_pid" && echo "berth serve drained and exited 0 on SIGTERM"

echo "load after: $(uptime)"

printf '%s\n' "${rows[@]}" | "$PY" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
by = {(r["server"], r["clients"]): r for r in rows}
print("| clients | server | requests | errors | req/s | p50 ms | p99 ms | berth / this req/s |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
names = (("berth", "berth serve"), ("baseline", "baseline (http.server + pipeline)"),
         ("batched", "batching baseline (Python, dynamic batches)"))
for c in sorted({r["clients"] for r in rows}):
    b = by.get(("berth", c))
    for side, name in names:
        r = by.get((side, c))
        if r is None:
            continue
        ratio = ""
        if side != "berth" and b and r["throughput"]:
            ratio = "%.2fx" % (b["throughput"] / r["throughput"])
        print("| %d | %s | %d | %d | %.1f | %.2f | %.2f | %s |" % (
            c, name, r["requests"], r["errors"], r["throughput"], r["p50_ms"], r["p99_ms"], ratio))
'
if ((${#pairs[@]})); then
  printf '%s\n' "${pairs[@]}" | "$PY" -c '
import json, statistics, sys
pairs = [json.loads(l) for l in sys.stdin]
print()
print("| pair | predict path p50 ms (batch 1) | serve p50 ms (1 client) | difference ms |")
print("| ---: | ---: | ---: | ---: |")
d = []
for k, p in enumerate(pairs, 1):
    d.append(p["serve"]["p50_ms"] - p["predict"]["p50_ms"])
    print("| %d | %.2f | %.2f | %+.2f |" % (k, p["predict"]["p50_ms"], p["serve"]["p50_ms"], d[-1]))
print("median difference %+.2f ms (target: at most +1 ms)" % statistics.median(d))
'
fi
