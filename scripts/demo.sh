#!/usr/bin/env bash
# The quickstart, end to end; every step is printed before it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; eval "$2"; }
mkdir -p runs/demo
step "tokenize a sentence" "echo 'Berth fine-tunes BERT classifiers on clusters.' | build/berth tokenize --model models/default"
