#!/usr/bin/env bash
# The multi-label benchmark (BENCHMARKS.md, "Multi-label"): Debian package tags from this
# machine's APT lists, Berth (configs/debtags.toml) against TF-IDF + one-vs-rest logistic
# regression (bench/debtags/tfidf_baseline.py, scikit-learn). Everything offline.
#   bench/debtags/run.sh                  # the full recipe (3 epochs)
#   SET="--set train.max_steps=1500" bench/debtags/run.sh   # a shorter run
set -euo pipefail
cd "$(dirname "$0")/../.."
BERTH=${BERTH:-build/berth}
PY=${PY:-.venv/bin/python}
OUT=${OUT:-runs/debtags}
mkdir -p "$OUT"
"$PY" bench/debtags/make_debtags.py --out "$OUT/data"
echo "== load $(uptime | sed 's/.*load average: //'); CPU flags: $(grep -o -w 'avx2\|avx512f\|avx512_bf16\|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')"
# shellcheck disable=SC2086
"$BERTH" train --config configs/debtags.toml --set train.run_dir="\"$OUT\"" \
    --set data.train="\"$OUT/data/train.jsonl\"" --set data.dev="\"$OUT/data/dev.jsonl\"" \
    --set data.test="\"$OUT/data/test.jsonl\"" ${SET:-}
"$BERTH" eval --checkpoint "$OUT/checkpoints/best" --input "$OUT/data/test.jsonl" \
    --label-column labels --json --output "$OUT/test_eval.json" > /dev/null
"$BERTH" eval --checkpoint "$OUT/checkpoints/best" --input "$OUT/data/dev.jsonl" \
    --label-column labels --json --output "$OUT/dev_eval.json" > /dev/null
"$PY" - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
for split in ("dev", "test"):
    r = json.load(open(f"{out}/{split}_eval.json"))
    print(f"berth {split}: micro_f1 {r['micro_f1']:.4f} macro_f1 {r['macro_f1']:.4f} "
          f"subset_accuracy {r['subset_accuracy']:.4f} ({r['total']} packages)")
PY
echo "== load $(uptime | sed 's/.*load average: //')"
"$PY" bench/debtags/tfidf_baseline.py "$OUT/data"
