#!/usr/bin/env bash
# CPU training speed, fp32: Berth against the same recipe in Python transformers
# (bench/hf_train.py) with transformers' length-grouped batch order (Trainer's
# group_by_length: mega-batches of 50 batches sorted by length; the fair comparator) and with
# random batches (an extra row), RUNS runs of each, interleaved (berth, grouped, random, berth,
# ...), same threads, same machine, same run of this script.
#
# Same examples on every side: one epoch over the first ROWS rows of SST-2 train
# (../shared/data/sst2/train.csv), default model (models/default), batch 32, max length 64,
# lr 1e-4, warm-up 10 % + linear decay, weight decay 0.01, clipping 1.0, fused AdamW on both
# sides (Berth's default optim.fused; transformers' Trainer default adamw_torch_fused).
# Run r uses seed r on every side (other batches, other dropout).
# samples/s counts training-step time only on both sides (forward, backward, clipping, optimizer).
# Bounded: about 9 runs x 50 s on a quiet 2-core machine with the defaults.
#
# usage: bench/cpu_train_compare.sh [RUNS=3] [ROWS=3200] [THREADS=nproc] [BUILD=build]
#   EXTRA="--set ..." adds Berth options (lever experiments); RESULTS=file.jsonl (default
#   bench/results/cpu_train_compare.jsonl) gets one JSON line per run, LABEL=<text> tags them.
#   BASE=path/to/another/berth adds a row "berth (base)" run the same way with that binary (a
#   build of an earlier commit: one lever measured alone, interleaved with the rest).
#   SYSTEMS="berth grouped" picks rows (default: berth, [base,] grouped, random; also
#   grouped-malloc: the grouped loop under glibc tunables equal to Berth's own heap policy).
#   BERTH=binary, PY=python, MODEL=dir, SRC=train.csv, DEV=dev.csv override build/berth,
#   .venv/bin/python, models/default and ../shared/data/sst2/{train,dev}.csv
#   (a machine without the venv, e.g. a lent GPU machine's host CPU: bench/device_cpu_check.sh).
#   Berth always runs with runtime.device=cpu, also where a GPU is present.
# Prints the load average and CPU flags before and after, the CPU seconds other processes took
# during each run ("other_cpu_s": more than a second or two means the figure is not a
# measurement), and the table (mean, min-max per system, ratio of means to the grouped loop and
# its range over the runs' pairings; the CPU time of the steps per step, the steadier figure on
# a loaded machine, best taken with THREADS=1; padded positions over real tokens).
set -euo pipefail
RUNS=${1:-3}
ROWS=${2:-3200}
THREADS=${3:-$(nproc)}
BUILD=${4:-build}
EXTRA=${EXTRA:-}
LABEL=${LABEL:-}
BASE=${BASE:-}
if [[ -n $BASE ]]; then SYSTEMS=${SYSTEMS:-berth base grouped random}; else SYSTEMS=${SYSTEMS:-berth grouped random}; fi
[[ -z $BASE || -x $BASE ]] || { echo "BASE=$BASE is not an executable" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BERTH=${BERTH:-$ROOT/$BUILD/berth}
PY=${PY:-$ROOT/.venv/bin/python}
MODEL=${MODEL:-models/default}
SRC=${SRC:-$ROOT/../shared/data/sst2/train.csv}
DEV=${DEV:-$ROOT/../shared/data/sst2/dev.csv}
RESULTS=${RESULTS:-$ROOT/bench/results/cpu_train_compare.jsonl}
[[ -x "$BERTH" ]] || { echo "no $BERTH: build first (cmake --build $BUILD --target berth)" >&2; exit 2; }
[[ -f "$SRC" ]] || { echo "needs $SRC" >&2; exit 2; }
mkdir -p "$(dirname "$RESULTS")" runs/bench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DATA="$TMP/train-$ROWS.csv"
"$PY" - "$SRC" "$DATA" "$ROWS" <<'PYEOF'
import csv, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))[:n]
with open(dst, "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=["text", "label"])
    w.writeheader()
    w.writerows({"text": r["text"], "label": r["label"]} for r in rows)
PYEOF

FLAGS=$(grep -o -w 'avx2\|avx512f\|avx512_bf16\|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null) cpu: $CPU ($(nproc) cores) flags: $FLAGS" >&2
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)

busy_s() { awk -v hz="$(getconf CLK_TCK)" '/^cpu /{print ($2+$3+$4+$7+$8+$9)/hz}' /proc/stat; }
children_cpu() {
  times >"$TMP/times"
  CHILDREN_CPU=$(tail -1 "$TMP/times" | "$PY" -c "
import re, sys
print(sum(float(m) * 60 + float(s) for m, s in re.findall(r'(\d+)m([\d.]+)s', sys.stdin.read())))")
}

# Berth prepares its corpus cache once, outside the timed runs.
"$BERTH" train --config configs/sst2.toml --resume never --set data.train="'$DATA'" \
  --set model.path="'$MODEL'" --set runtime.device=cpu \
  --set data.dev='""' --set data.test='""' --set data.cache_dir="'$TMP/cache'" \
  --set train.max_steps=1 --set train.run_dir="'$TMP/prep'" --set checkpoint.every_minutes=0 \
  --set checkpoint.keep_best=0 >/dev/null 2>&1

run_one() {  # system seed
  local sys=$1 seed=$2 out="$TMP/out.json" b0 c0 b1
  b0=$(busy_s); children_cpu; c0=$CHILDREN_CPU
  local load=$(cut -d' ' -f1 /proc/loadavg)
  if [[ $sys == berth || $sys == base ]]; then
    local run="$TMP/$sys-$seed" bin=$BERTH  # one directory per system: metrics.jsonl appends
    [[ $sys == base ]] && bin=$BASE
    # shellcheck disable=SC2086
    "$bin" train --config configs/sst2.toml --resume never --set data.train="'$DATA'" \
      --set model.path="'$MODEL'" --set runtime.device=cpu \
  --set data.dev='""' --set data.test='""' --set data.cache_dir="'$TMP/cache'" \
      --set train.epochs=1 --set train.seed=$seed --set runtime.threads=$THREADS \
      --set train.run_dir="'$run'" --set checkpoint.every_minutes=0 --set checkpoint.keep_best=0 \
      --set checkpoint.keep_last=1 $EXTRA >"$TMP/berth.log" 2>&1 || { tail "$TMP/berth.log" >&2; exit 1; }
    "$PY" -c "
import json
recs = [json.loads(l) for l in open('$run/metrics.jsonl')]
d = [r for r in recs if r.get('type') == 'done'][-1]
tr = [r for r in recs if r.get('type') == 'train']
print(json.dumps({'samples_per_s': d['samples_seen'] / d['train_seconds'],
                  'tokens': sum(r['tokens'] for r in tr),
                  'padded_tokens': sum(r['padded_tokens'] for r in tr), 'seconds': d['train_seconds'],
                  'cpu_seconds': sum(r['cpu_seconds'] for r in tr), 'samples': d['samples_seen'],
                  'steps': d['step']}))" >"$out"
  else
    local order=${sys%-malloc} tunables=${GLIBC_TUNABLES:-}
    # grouped-malloc: the grouped loop with the heap policy Berth sets itself (common/
    # allocator_policy.h), through glibc's environment: the same allocator for both sides.
    [[ $sys == *-malloc ]] &&
      tunables=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=536870912
    GLIBC_TUNABLES=$tunables "$PY" bench/hf_train.py --model "$MODEL" --train "$DATA" \
      --test "$DEV" --epochs 1 --threads "$THREADS" --seed "$seed" --order "$order" \
      2>/dev/null | "$PY" -c "
import json, sys
r = json.loads(sys.stdin.read())
print(json.dumps({'samples_per_s': r['train_samples_per_s'], 'tokens': r['train_tokens'],
                  'padded_tokens': r['padded_tokens'], 'cpu_seconds': r['train_cpu_seconds'],
                  'steps': r['steps']}))" >"$out"
  fi
  b1=$(busy_s); children_cpu
  "$PY" - "$out" "$sys" "$seed" "$b0" "$b1" "$c0" "$CHILDREN_CPU" "$load" <<PYEOF | tee -a "$RESULTS"
import json, sys
out, sys_, seed, b0, b1, c0, c1, load = sys.argv[1:]
r = json.load(open(out))
r.update({"system": {"berth": "berth", "base": "berth (base)", "grouped": "transformers, length-grouped",
                     "random": "transformers, random batches",
                     "grouped-malloc": "transformers, length-grouped, Berth's heap policy"}[sys_], "seed": int(seed),
          "threads": $THREADS, "rows": $ROWS, "label": "$LABEL", "load_before": float(load),
          "other_cpu_s": round(float(b1) - float(b0) - (float(c1) - float(c0)), 1),
          "flags": "$FLAGS".split(), "extra": "$EXTRA"})
print(json.dumps(r))
PYEOF
}

: >"$TMP/all.jsonl"
for seed in $(seq 1 "$RUNS"); do
  for sys in $SYSTEMS; do
    run_one "$sys" "$seed" | tee -a "$TMP/all.jsonl" >/dev/null
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$PY" - "$TMP/all.jsonl" "$LOAD_BEFORE" "$(cut -d' ' -f1 /proc/loadavg)" "$FLAGS" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r["system"], []).append(r)
base = "transformers, length-grouped"
if base not in by:  # SYSTEMS without "grouped": the rows alone, ratios against the first system
    base = next(iter(by))
bm = sum(r["samples_per_s"] for r in by[base]) / len(by[base])
print(f"load average (1 min) before {sys.argv[2]}, after {sys.argv[3]}; CPU flags: {sys.argv[4]}")
# CPU time of the training steps per step (the process's, all threads): on a loaded machine
# the steadier figure; with more than one thread it includes OpenMP threads spinning.
cpu = lambda r: 1e3 * r["cpu_seconds"] / r["steps"]
bc = sum(cpu(r) for r in by[base]) / len(by[base])
print(f"| system | samples/s per run | mean | min-max | ratio to {base} (mean; range over runs) | CPU ms per step (mean; ratio) | padding | other CPU s per run |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
for name, rs in by.items():
    v = [r["samples_per_s"] for r in rs]
    m = sum(v) / len(v)
    pair = [r["samples_per_s"] / b["samples_per_s"] for r, b in zip(rs, by[base])]
    c = sum(cpu(r) for r in rs) / len(rs)
    pad = sum(r["padded_tokens"] for r in rs) / sum(r["tokens"] for r in rs) - 1
    print(f"| {name} | {', '.join(f'{x:.1f}' for x in v)} | {m:.1f} | {min(v):.1f}-{max(v):.1f} | "
          f"{m / bm:.2f}x ({min(pair):.2f}-{max(pair):.2f}) | {c:.0f} ({bc / c:.2f}x) | "
          f"{100 * pad:.1f} % | {', '.join(str(r['other_cpu_s']) for r in rs)} |")
PYEOF
