#!/usr/bin/env bash
# Long texts: test accuracy of head, tail and head_tail truncation (one fine-tune each) and of
# --windows at evaluation (mean and max over the windows of the head-trained model), on Debian's
# manual pages labelled by section (bench/manpages_csv.py builds the CSVs offline from the
# packages manpages and manpages-dev; most pages are far longer than max_length).
# Usage: bench/long_text.sh [MAX_LENGTH (128)] [EPOCHS (3)] [STRIDE (32)]
# Env: SEED (42), THREADS ($(nproc)), RULES ("head tail head_tail"), OUT (runs/bench-longtext),
# BERTH (build/berth).
# Writes bench/results/long_text.jsonl (one line per evaluation) and prints a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
max_length=${1:-128}
epochs=${2:-3}
stride=${3:-32}
seed=${SEED:-42}
threads=${THREADS:-$(nproc)}
rules=${RULES:-"head tail head_tail"}
berth=${BERTH:-build/berth}  # BERTH=<a copy of the binary>, safe from rebuilds during the run
out=${OUT:-runs/bench-longtext}
results=bench/results/long_text.jsonl
mkdir -p "$out" bench/results
if ! dpkg-query -W -f='${Status}' manpages manpages-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "installing manpages manpages-dev (the data set)"; apt-get install -y -qq manpages manpages-dev >/dev/null
fi
[ -f "$out/data/test.csv" ] || { mkdir -p "$out/data"; python3 bench/manpages_csv.py "$out/data" > "$out/data/summary.json"; }
commit=$(git rev-parse --short HEAD)
flags=$(grep -o -w 'avx2\|avx512f\|avx512_bf16\|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')

record() {  # record NAME EVAL_JSON SECONDS TRAIN_RUN
  python3 - "$@" "$max_length" "$stride" "$seed" "$commit" "$flags" >> "$results" <<'PY'
import json, sys
name, path, secs, run, ml, stride, seed, commit, flags = sys.argv[1:10]
r = json.load(open(path))
train = {}
try:
    done = [json.loads(l) for l in open(run + "/metrics.jsonl") if '"done"' in l][-1]
    train = {"train_seconds": done.get("train_seconds")}
except (OSError, IndexError):
    pass
print(json.dumps({"eval": name, "max_length": int(ml), "stride": int(stride), "seed": int(seed),
                  "accuracy": r["accuracy"], "macro_f1": r["macro_f1"], "examples": r.get("total"),
                  "eval_seconds": float(secs), **train, "commit": commit, "cpu_flags": flags,
                  "load_after": open("/proc/loadavg").read().split()[:3]}))
PY
  tail -1 "$results"
}

for rule in $rules; do
  run=$out/$rule-$max_length
  rm -rf "$run"
  echo "== train $rule (max_length $max_length, $epochs epochs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$berth" train --config configs/quickstart.toml --resume never \
    --set data.train=\"$out/data/train.csv\" --set data.dev=\"$out/data/dev.csv\" \
    --set data.test=\"\" --set data.max_length=$max_length --set data.truncation=$rule \
    --set data.batch_size=16 --set optim.lr=1e-4 --set train.epochs=$epochs \
    --set train.max_steps=-1 --set train.seed=$seed --set train.eval_every=0 \
    --set runtime.threads=$threads --set train.run_dir=\"$run\" --set checkpoint.every_minutes=0 \
    --set checkpoint.every_steps=0 --set checkpoint.keep_last=1 --set checkpoint.keep_best=1 \
    2> "$run.log" || { tail -20 "$run.log"; exit 1; }
  ck=$run/checkpoints/best
  t0=$(date +%s.%N)
  "$berth" eval --checkpoint "$ck" --input "$out/data/test.csv" --json --threads "$threads" \
    > "$run.test.json" 2> "$run.eval.log"
  record "$rule" "$run.test.json" "$(awk "BEGIN{print $(date +%s.%N) - $t0}")" "$run"
  if [ "$rule" = head ]; then
    for agg in mean max; do
      t0=$(date +%s.%N)
      "$berth" eval --checkpoint "$ck" --input "$out/data/test.csv" --json --threads "$threads" \
        --windows "$stride" --window-aggregate $agg > "$run.windows-$agg.json" 2> "$run.windows-$agg.log"
      record "head+windows-$agg" "$run.windows-$agg.json" "$(awk "BEGIN{print $(date +%s.%N) - $t0}")" "$run"
    done
  fi
done
python3 - "$results" "$max_length" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["max_length"] == int(sys.argv[2])]
for r in rows[-8:]:
    print(f"{r['eval']:>20}: accuracy {100*r['accuracy']:.2f} %, macro-F1 {100*r['macro_f1']:.2f} %, "
          f"eval {r['eval_seconds']:.1f} s, train {r.get('train_seconds') or 0:.0f} s")
PY
