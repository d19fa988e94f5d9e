# Sourced by the Slurm tests: make_tiny_data DIR writes DIR/tiny (a 2-label tiny model with the
# default model's tokenizer, tests/python/make_tiny_model.py) and DIR/train.csv (400 rows: the
# first of SST-2 train where ../shared/data is present, else generated two-class sentences, so
# that the tests run from a clone without the shared data). Expects ROOT and PY.
make_tiny_data() {
  local dir=$1
  "$PY" "$ROOT/tests/python/make_tiny_model.py" "$dir/tiny" "$ROOT/models/default" 2 0.1 >/dev/null
  local sst2=$ROOT/../shared/data/sst2/train.csv
  if [[ -f $sst2 ]]; then
    head -n 401 "$sst2" >"$dir/train.csv"
    return
  fi
  python3 - "$dir/train.csv" <<'EOF'
import csv, sys
words = [["sunny", "bright", "warm", "summer", "beach"], ["rain", "storm", "cold", "winter", "dark"]]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["text", "label"])
    for i in range(400):
        c = i % 2
        w.writerow([" ".join(words[c][(i + k * 3) % 5] for k in range(3 + i % 9)), ["negative", "positive"][c]])
EOF
}
