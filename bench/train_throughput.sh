#!/usr/bin/env bash
# Training throughput, Berth vs the same recipe in Python transformers (bench/hf_train.py), on
# the same machine, model (models/default), data (../shared/data/sst2/train.csv), batch 32,
# max length 64, threads, for fp32 and bf16 autocast. A fixed number of optimizer steps; samples/s
# counts training-step time only on both sides (forward, backward, clipping, optimizer).
# Berth is run with its default length bucketing and without it (same random batches as HF's
# kind: a kernel-for-kernel comparison).
# Usage: bench/train_throughput.sh [STEPS (100)] [THREADS (nproc)]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100}
threads=${2:-$(nproc)}
mkdir -p bench/results runs/bench
out=bench/results/train_throughput.jsonl
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for precision in fp32 bf16; do
  for bucketing in true false; do
    run=runs/bench/throughput-$precision-$bucketing
    rm -rf "$run"
    build/berth train --config configs/sst2.toml --resume never --set data.dev=\"\" --set data.test=\"\" \
      --set train.max_steps=$steps --set train.precision=\"$precision\" --set runtime.threads=$threads \
      --set data.length_bucketing=$bucketing --set train.run_dir=\"$run\" --set checkpoint.every_minutes=0 \
      --set checkpoint.keep_best=0 2> "$run.log"
    python3 -c "
import json,sys
d=[json.loads(l) for l in open('$run/metrics.jsonl') if '\"done\"' in l][-1]
print(json.dumps({'system':'berth','precision':'$precision','length_bucketing':$([ $bucketing = true ] && echo True || echo False),
  'steps':d['step'],'train_samples_per_s':d['samples_seen']/d['train_seconds']}))" | tee -a "$out"
  done
  .venv/bin/python bench/hf_train.py --model models/default --train ../shared/data/sst2/train.csv \
    --test ../shared/data/sst2/dev.csv --max-steps $steps --epochs 1 --precision $precision \
    --threads $threads 2>/dev/null | python3 -c "
import json,sys; r=json.loads(sys.stdin.read()); print(json.dumps({'system':'transformers','precision':r['precision'],'steps':r['steps'],'train_samples_per_s':r['train_samples_per_s']}))" | tee -a "$out"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
