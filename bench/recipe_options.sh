#!/usr/bin/env bash
# The recipe options of issue 28 (docs/configuration.md "Recipe options") against the plain
# recipe, 3 seeds each, a distilled student against its teacher, and a small `berth sweep`.
# Usage: bench/recipe_options.sh BLOCK [SEEDS (1 2 3)]; BLOCK "all" runs the five in this order:
#   trec6    configs/trec6.toml: plain; optim.layer_decay=0.8; train.ema_decay=0.99;
#            train.label_smoothing=0.1 (values fixed before any run; not tuned on test)
#   distill  a 3-layer MiniLM (the first 3 layers of models/default, made by recipe_options.py
#            student into runs/recipe_options/minilm-l3) on TREC-6: plain, and distilled from the
#            trec6 block's plain seed-1 run (distill.temperature=2, distill.alpha=0.5)
#   predict  `berth predict` of the TREC-6 + SST-2 test texts (2,321) by the teacher and the
#            plain seed-1 student, interleaved, ROUNDS (3) rounds
#   sst2     REDUCED SST-2: a fixed 3,000-text subset of train (seed 0, runs/recipe_options/
#            sst2-3000/train.csv), full dev (best epoch) and test, 2 epochs; the trec6 block's
#            four configurations
#   sweep    `berth sweep` of configs/sweep-sst2-small.toml (lr x layer_decay, 4 trials, seed 1)
#            on the same reduced SST-2, then `berth report --json` of it
#   summary  the tables (bench/recipe_options.py summary)
# Every run appends one JSON line to bench/results/recipe_options.jsonl (dataset, subset, option,
# value, seed, test accuracy and macro-F1, best dev accuracy, train seconds, the binary's commit,
# start/end UTC and the 1-minute load before/after); a run already recorded is skipped, so a
# block can be rerun after an interruption. Every other recipe value is the config file's.
# BERTH=<binary> (default build/berth), THREADS (2), ROUNDS (3). OMP_WAIT_POLICY defaults to
# PASSIVE: on a shared machine libgomp's spinning barriers burn the share the other thread
# needs (BENCHMARKS.md, ONNX Runtime section); it changes no result, only the seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
block=${1:?"usage: bench/recipe_options.sh all|trec6|distill|predict|sst2|sweep|summary [SEEDS]"}
seeds=${2:-"1 2 3"}
if [ "$block" = all ]; then
  for b in trec6 distill predict sst2 sweep; do "$0" "$b" "$seeds"; done
  exit 0
fi
berth=${BERTH:-build/berth}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
py=.venv/bin/python
helper=bench/recipe_options.py
out=bench/results/recipe_options.jsonl
root=runs/recipe_options
commit=$("$berth" --version | sed -n 's/.*(commit \([0-9a-f]*\)).*/\1/p' | head -1)
mkdir -p "$root" bench/results
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

load1() { cut -d' ' -f1 /proc/loadavg; }
recorded() { [ -f "$out" ] && grep -q "\"id\": \"$1\"" "$out"; }

# train BLOCK DATASET SUBSET CONFIG OPTION VALUE SEED [--set ...]: one run, one JSON line.
train() {
  local blk=$1 ds=$2 sub=$3 cfg=$4 opt=$5 val=$6 seed=$7; shift 7
  local id="$blk|$opt|${val//\"/}|$seed" tag=$val
  [ "$opt" = distill.teacher ] && tag=teacher  # a path: not part of the directory name
  local run="$root/$blk-$opt-$tag-seed$seed"
  if recorded "$id"; then echo "skip $id (recorded)"; return; fi
  local set=()
  [ "$opt" != plain ] && set=(--set "$opt=$val")
  rm -rf "$run"
  local t0 l0; t0=$(date -u +%FT%TZ); l0=$(load1)
  echo "$t0 $id (load $l0)"
  "$berth" train --config "$cfg" --resume never --set train.seed="$seed" \
    --set runtime.threads="$threads" --set checkpoint.every_minutes=0 \
    --set train.run_dir=\""$run"\" "${set[@]}" "$@" 2> "$run.log" || { tail -20 "$run.log"; exit 1; }
  "$py" "$helper" record "$run" kind=train id="$id" block="$blk" dataset="$ds" subset="$sub" \
    option="$opt" value="${val//\"/}" seed="$seed" berth_commit="$commit" start="$t0" \
    end="$(date -u +%FT%TZ)" load_before="$l0" load_after="$(load1)" >> "$out"
  tail -1 "$out"
}

# The four configurations of blocks trec6 and sst2, values fixed a priori (BENCHMARKS.md says why).
four() {
  local blk=$1 ds=$2 sub=$3 cfg=$4; shift 4
  for seed in $seeds; do
    train "$blk" "$ds" "$sub" "$cfg" plain - "$seed" "$@"
    train "$blk" "$ds" "$sub" "$cfg" optim.layer_decay 0.8 "$seed" "$@"
    train "$blk" "$ds" "$sub" "$cfg" train.ema_decay 0.99 "$seed" "$@"
    train "$blk" "$ds" "$sub" "$cfg" train.label_smoothing 0.1 "$seed" "$@"
  done
}

sst2_subset() {
  local f=$root/sst2-3000/train.csv
  if [ ! -f "$f" ]; then
    mkdir -p "$(dirname "$f")"
    "$py" "$helper" subset ../shared/data/sst2/train.csv 3000 0 "$f"
  fi
  echo "$f"
}

teacher() { echo "$root/trec6-plain---seed1/checkpoints/latest"; }
student_ckpt() { echo "$root/distill-plain---seed1/checkpoints/latest"; }

echo "$(date -u +%FT%TZ) block $block; $("$berth" --version | head -1); uptime:$(uptime)"
case $block in
  trec6) four trec6 trec6 5452 configs/trec6.toml ;;
  sst2)
    sub=$(sst2_subset)
    four sst2 sst2 3000 configs/sst2.toml --set data.train=\""$sub"\" --set train.epochs=2 ;;
  distill)
    t=$(teacher)
    [ -e "$t" ] || { echo "no teacher $t: run the trec6 block first" >&2; exit 1; }
    s=$root/minilm-l3
    [ -f "$s/model.safetensors" ] || nice -n 10 "$py" "$helper" student models/default 3 "$s" 2> /dev/null
    for seed in $seeds; do
      train distill trec6 5452 configs/trec6.toml plain - "$seed" --set model.path=\""$s"\"
      train distill trec6 5452 configs/trec6.toml distill.teacher "\"$t\"" "$seed" \
        --set model.path=\""$s"\" --set distill.temperature=2.0 --set distill.alpha=0.5
    done ;;
  predict)
    texts=$root/predict-texts.txt
    "$py" -c 'import csv,sys
with open(sys.argv[3], "w") as o:
    for p in sys.argv[1:3]:
        for r in csv.DictReader(open(p, newline="")): o.write(r["text"].replace("\n", " ") + "\n")' \
      ../shared/data/trec6/test.csv ../shared/data/sst2/test.csv "$texts"
    n=$(wc -l < "$texts")
    for r in $(seq 1 "$rounds"); do
      for who in teacher student; do
        ck=$([ $who = teacher ] && teacher || student_ckpt)
        l0=$(load1); t0=$(date +%s.%N)
        "$berth" predict --checkpoint "$ck" --input "$texts" --output "$root/predict-$who.jsonl" \
          --threads "$threads" --no-verify 2> "$root/predict-$who.log"
        t1=$(date +%s.%N)
        line=$(grep -o '[0-9.]* texts/s, ' "$root/predict-$who.log" | tail -1 | cut -d' ' -f1)  # the final line
        echo "{\"kind\": \"predict\", \"model\": \"$who\", \"checkpoint\": \"$ck\", \"round\": $r," \
          "\"texts\": $n, \"wall_s\": $(echo "$t1 - $t0" | bc -l), \"own_texts_per_s\": ${line:-null}," \
          "\"threads\": $threads, \"berth_commit\": \"$commit\", \"load_before\": $l0," \
          "\"end\": \"$(date -u +%FT%TZ)\"}" >> "$out"
        tail -1 "$out"
      done
    done ;;
  sweep)
    sub=$(sst2_subset)
    sw=$root/sweep-sst2-small
    t0=$(date -u +%FT%TZ)
    echo "$t0 sweep (load $(load1))"
    "$berth" sweep --config configs/sst2.toml --space configs/sweep-sst2-small.toml \
      --out "$sw" --set data.train=\""$sub"\" --set train.epochs=2 --set train.seed=1 \
      --set runtime.threads="$threads" --set checkpoint.every_minutes=0 2> "$root/sweep.log" ||
      { tail -20 "$root/sweep.log"; exit 1; }
    "$berth" report "$sw" --json > "$root/sweep-report.json"
    "$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); r.update(kind="sweep", start=sys.argv[2], end=sys.argv[3], berth_commit=sys.argv[4], load_after=float(sys.argv[5])); print(json.dumps(r))' \
      "$root/sweep-report.json" "$t0" "$(date -u +%FT%TZ)" "$commit" "$(load1)" >> "$out"
    "$berth" report "$sw" | tail -20 || true ;;
  summary) ;;
  *) echo "unknown block $block" >&2; exit 2 ;;
esac
echo "$(date -u +%FT%TZ) end of block $block; uptime:$(uptime)"
"$py" "$helper" summary "$out"
