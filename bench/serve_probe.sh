#!/usr/bin/env bash
# One `berth serve` alone under the closed-loop client, with the server's own counters for each
# level (texts, batches, padded tokens, queue/forward/request seconds from /metrics, before and
# after): where a level's time goes. Extra arguments go to `berth serve` (e.g. --max-padding 1e9
# to compare against one padded batch). Same checkpoint and texts as bench/serve_load.sh.
#
# usage: CLIENTS="1 64" bench/serve_probe.sh [berth serve options...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/.venv/bin/python
TMP=$(mktemp -d)
trap 'kill "${pid:-}" 2> /dev/null || true; rm -rf "$TMP"' EXIT
"$PY" "$ROOT/bench/hf_pipeline_bench.py" make-checkpoint "$ROOT/models/default" "$TMP/ckpt" 0 2> /dev/null
"$PY" "$ROOT/bench/hf_pipeline_bench.py" texts "$ROOT/../shared/data/sst2/test.csv" "$TMP/texts.txt" 1821
"$ROOT/build/berth" serve --checkpoint "$TMP/ckpt" --port 0 --port-file "$TMP/port" --threads 2 "$@" \
  2> "$TMP/log" &
pid=$!
for _ in $(seq 100); do [[ -f $TMP/port ]] && break; sleep 0.1; done
port=$(cat "$TMP/port")
counters='^berth_(batches_total|texts_total|batch_tokens_sum|inference_seconds_sum|queue_seconds_sum|request_duration_seconds_sum) '
echo "load: $(uptime)"
for c in ${CLIENTS:-64}; do
  curl -s "localhost:$port/metrics" | grep -E "$counters" > "$TMP/m0"
  "$PY" "$ROOT/bench/serve_load.py" "$port" "$TMP/texts.txt" "$c" 500 40 20
  curl -s "localhost:$port/metrics" | grep -E "$counters" > "$TMP/m1"
  paste "$TMP/m0" "$TMP/m1" | awk '{printf "  %s %.3f\n", $1, $4 - $2}'
done
kill -TERM "$pid"
wait "$pid"
