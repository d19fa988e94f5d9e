#!/usr/bin/env bash
# The quickstart, end to end, on CPU: data -> prep -> train (stopped by a signal, as Slurm would,
# then resumed) -> eval -> predict -> report. Every command is printed before it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/berth
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; eval "$2"; }

rm -rf runs/quickstart
mkdir -p runs/quickstart/corpus
step "1. a labelled corpus every Debian machine has: package descriptions by archive section" \
  "python3 scripts/make_quickstart_data.py runs/quickstart-data"
step "2. the tokenizer (ids identical to Hugging Face's BertTokenizerFast)" \
  "echo 'Berth fine-tunes BERT classifiers on clusters.' | $B tokenize --model models/default"
step "3. prep: CSV -> pre-tokenized HDF5 corpus with the label map" \
  "$B prep --model models/default --input runs/quickstart-data/train.csv --out runs/quickstart/corpus/train.h5 --max-length 64"
step "   dev and test reuse the training label map" \
  "for s in dev test; do $B prep --model models/default --input runs/quickstart-data/\$s.csv --out runs/quickstart/corpus/\$s.h5 --max-length 64 --labels-from runs/quickstart/corpus/train.h5; done"

printf '\n\033[1m== 4. train, and stop it with SIGUSR1 after the first checkpoint (what Slurm sends before preemption)\033[0m\n'
echo "\$ $B train --config configs/quickstart.toml &   # then: kill -USR1 \$pid"
$B train --config configs/quickstart.toml &
pid=$!
for _ in $(seq 1800); do
  [ -e runs/quickstart/checkpoints/latest ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
kill -USR1 $pid 2>/dev/null || true
set +e; wait $pid; rc=$?; set -e
echo "berth train exited with $rc (75 = stopped with a checkpoint, resumable)"
[ "$rc" = 75 ] || [ "$rc" = 0 ] || exit "$rc"

step "5. resume: --resume auto (the default) continues from the newest valid checkpoint" \
  "$B train --config configs/quickstart.toml"
step "6. verify a checkpoint's manifest" "$B checkpoint verify runs/quickstart/checkpoints/best"
step "7. evaluate the best checkpoint on the test set" \
  "$B eval --checkpoint runs/quickstart/checkpoints/best --input runs/quickstart/corpus/test.h5"
printf 'a fast paced platform game with pixel art\nlibrary for reading and writing audio files\nOpenType font family for coding\n' > runs/quickstart/new.txt
step "8. predict on new texts" \
  "$B predict --checkpoint runs/quickstart/checkpoints/best --input runs/quickstart/new.txt --output runs/quickstart/predictions.jsonl && cat runs/quickstart/predictions.jsonl"
step "9. one page about the run: curves, dev and test metrics, resumes, checkpoints (no network)" \
  "$B report runs/quickstart --output runs/quickstart/report.html"
printf '\nDone. Logs and metrics: runs/quickstart/logs/, runs/quickstart/metrics.jsonl\n'
printf 'TensorBoard curves: runs/quickstart/tensorboard/ (tensorboard --logdir runs/quickstart/tensorboard)\n'
printf 'Report: %s\n' "$(pwd)/runs/quickstart/report.html"
