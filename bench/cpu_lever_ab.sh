#!/usr/bin/env bash
# One lever at a time: Berth training runs with variants of its settings, interleaved
# (A B C A B C ...), on the same examples (one epoch over the first ROWS rows of SST-2 train,
# models/default, the configs/sst2.toml recipe, fp32, seed 1 for every run).
#
# usage: bench/cpu_lever_ab.sh ROWS REPS THREADS VARIANT...
#   VARIANT = "name|ENV=value ...|berth options", e.g.
#   bench/cpu_lever_ab.sh 1600 2 2 "default||" "aten-dropout||--set runtime.fast_dropout=false"
# With 1 thread, the CPU time of the steps (metrics "cpu_seconds") measures the work a lever
# saves even on a loaded machine (no spinning OpenMP threads; only cache and memory-bandwidth
# sharing disturb it), where samples/s mostly measures the other processes.
# Prints one JSON line per run (samples/s over training-step time, the load average before it,
# the CPU seconds other processes took during it: more than a second or two and the run is not a
# measurement) and a Markdown row per variant (runs, mean, mean relative to the first variant).
set -euo pipefail
ROWS=$1 REPS=$2 THREADS=$3
shift 3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
PY="$ROOT/.venv/bin/python"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" - "$ROOT/../shared/data/sst2/train.csv" "$TMP/train.csv" "$ROWS" <<'PYEOF'
import csv, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = list(csv.DictReader(open(src, newline="", encoding="utf-8")))[:n]
w = csv.DictWriter(open(dst, "w", newline="", encoding="utf-8"), fieldnames=["text", "label"])
w.writeheader()
w.writerows({"text": r["text"], "label": r["label"]} for r in rows)
PYEOF
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) load: $(cut -d' ' -f1-3 /proc/loadavg) flags: $(grep -o -w 'avx2\|avx512f\|avx512_bf16\|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')" >&2
busy_s() { awk -v hz="$(getconf CLK_TCK)" '/^cpu /{print ($2+$3+$4+$7+$8+$9)/hz}' /proc/stat; }
children_cpu() {  # this shell's finished children's CPU seconds, into CHILDREN_CPU
  times >"$TMP/times"
  CHILDREN_CPU=$(tail -1 "$TMP/times" | "$PY" -c "
import re, sys
print(sum(float(m) * 60 + float(s) for m, s in re.findall(r'(\d+)m([\d.]+)s', sys.stdin.read())))")
}
common=(--config configs/sst2.toml --resume never --set "data.train='$TMP/train.csv'"
  --set "data.dev=''" --set "data.test=''" --set "data.cache_dir='$TMP/cache'"
  --set checkpoint.every_minutes=0 --set checkpoint.keep_best=0 --set checkpoint.keep_last=1
  --set train.seed=1 --set runtime.threads=$THREADS)
"$BUILD/berth" train "${common[@]}" --set train.max_steps=1 --set "train.run_dir='$TMP/prep'" \
  >/dev/null 2>&1
: >"$TMP/all.jsonl"
for rep in $(seq 1 "$REPS"); do
  for v in "$@"; do
    IFS='|' read -r name envs opts <<<"$v"
    run="$TMP/run-$name-$rep"
    b0=$(busy_s); load=$(cut -d' ' -f1 /proc/loadavg)
    children_cpu; c0=$CHILDREN_CPU
    # shellcheck disable=SC2086
    env $envs "$BUILD/berth" train "${common[@]}" --set train.epochs=1 \
      --set "train.run_dir='$run'" $opts >"$TMP/log" 2>&1 || { tail "$TMP/log" >&2; exit 1; }
    b1=$(busy_s); children_cpu; c1=$CHILDREN_CPU
    "$PY" -c "
import json
recs = [json.loads(l) for l in open('$run/metrics.jsonl')]
d = [r for r in recs if r.get('type') == 'done'][-1]
tr = [r for r in recs if r.get('type') == 'train']
print(json.dumps({'variant': '$name', 'rep': $rep, 'samples_per_s': round(d['samples_seen'] / d['train_seconds'], 2),
                  'cpu_ms_per_step': round(1e3 * sum(r['cpu_seconds'] for r in tr) / d['step'], 1),
                  'steps': d['step'], 'load_before': $load,
                  'other_cpu_s': round($b1 - $b0 - ($c1 - $c0), 1)}))" | tee -a "$TMP/all.jsonl"
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$PY" - "$TMP/all.jsonl" <<'PYEOF'
import json, sys
by = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    by.setdefault(r["variant"], []).append(r)
first = None
print("| variant | samples/s per run | CPU ms per step per run | mean CPU ms per step | relative to the first |")
print("| --- | --- | --- | ---: | ---: |")
for name, rs in by.items():
    c = [r["cpu_ms_per_step"] for r in rs]
    m = sum(c) / len(c)
    first = first or m
    print(f"| {name} | {', '.join(str(r['samples_per_s']) for r in rs)} | "
          f"{', '.join(f'{x:.0f}' for x in c)} | {m:.0f} | {m / first:.3f} |")
PYEOF
