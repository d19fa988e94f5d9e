#!/usr/bin/env bash
# Test accuracy and training throughput: Berth vs the same recipe in Python transformers, on the
# same machine, same model (models/default), same data (../shared/data), several seeds.
# Usage: bench/train_accuracy.sh [DATASETS (sst2 trec6)] [SEEDS (1 2 3)] [PRECISION (fp32)]
# Writes bench/results/train_accuracy-<precision>[-<TAG>].jsonl (one line per run) and prints a
# summary. SYSTEMS="berth" skips the transformers runs (e.g. to re-measure Berth after a change).
# MODEL=DIR runs another checkpoint on both sides (e.g. MODEL=models/bge-small TAG=bge-small);
# MAX_STEPS=N stops both sides after N optimizer steps (a reduced run: say so with its figures).
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=${1:-"sst2 trec6"}
seeds=${2:-"1 2 3"}
precision=${3:-fp32}
threads=${THREADS:-$(nproc)}
systems=${SYSTEMS:-"berth transformers"}
berth=${BERTH:-build/berth}  # BERTH=<a copy of the binary>: rebuilding meanwhile cannot touch it
model=${MODEL:-models/default}
max_steps=${MAX_STEPS:--1}
if [ ! -f "$model/model.safetensors" ]; then
  echo "no $model/model.safetensors (models/bge-small: see scripts/setup.sh)" >&2; exit 1
fi
out=bench/results/train_accuracy-$precision${TAG:+-$TAG}.jsonl
mkdir -p bench/results
for ds in $datasets; do
  dev=""; [ -f ../shared/data/$ds/dev.csv ] && dev="--dev ../shared/data/$ds/dev.csv"
  for seed in $seeds; do
    run=runs/bench/$ds-$precision-seed$seed
    if [[ " $systems " == *" berth "* ]]; then
    rm -rf "$run"; mkdir -p "$(dirname "$run")"
    "$berth" train --config configs/$ds.toml --resume never --set train.seed=$seed \
      --set train.precision=\"$precision\" --set runtime.threads=$threads --set train.run_dir=\"$run\" \
      --set checkpoint.every_minutes=0 --set model.path=\"$model\" --set train.max_steps=$max_steps \
      2> "$run.log" || { tail -20 "$run.log"; exit 1; }
    python3 - "$run/metrics.jsonl" "$ds" "$seed" "$precision" "$(git rev-parse --short HEAD)" >> "$out" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
test = [r for r in recs if r["type"] == "test"][-1]
train = [r for r in recs if r["type"] == "train"]
done = [r for r in recs if r["type"] == "done"][-1]
# samples/s over the whole run, training-step time only (as the Python baseline measures).
sps = done["samples_seen"] / done["train_seconds"]
print(json.dumps({"system": "berth", "commit": sys.argv[5], "dataset": sys.argv[2], "seed": int(sys.argv[3]), "precision": sys.argv[4],
                  "test_accuracy": test["accuracy"], "test_macro_f1": test["macro_f1"],
                  "train_samples_per_s": sps, "train_seconds": done["train_seconds"]}))
PY
    fi
    [[ " $systems " == *" transformers "* ]] && .venv/bin/python bench/hf_train.py --model "$model" --max-steps $max_steps --train ../shared/data/$ds/train.csv $dev \
      --test ../shared/data/$ds/test.csv --seed $seed --precision $precision --threads $threads \
      | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['dataset']='$ds'; print(json.dumps(r))" >> "$out"
    tail -2 "$out"
  done
done
python3 - "$out" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
for ds in sorted({r["dataset"] for r in rows}):
    line = [ds]
    for sysname in ["berth", "transformers"]:
        rs = [r for r in rows if r["dataset"] == ds and r["system"] == sysname]
        if rs:
            line.append(f"{sysname}: acc {100*st.mean(r['test_accuracy'] for r in rs):.2f} "
                        f"(n={len(rs)}, seeds {sorted(r['seed'] for r in rs)}), "
                        f"{st.mean(r['train_samples_per_s'] for r in rs):.1f} samples/s")
    print(" | ".join(line))
PY
