# Sourced by the Slurm tests and the image's Kubernetes test: the tiny run they all train.
# Expects ROOT and PY.
#
# make_tiny_data DIR writes DIR/tiny (a 2-label tiny model with the default model's tokenizer,
# tests/python/make_tiny_model.py) and DIR/train.csv (400 rows: the first of SST-2 train where
# ../shared/data is present, else generated two-class sentences, so that the tests run from a
# clone without the shared data).
make_tiny_data() {
  local dir=$1
  "$PY" "$ROOT/tests/python/make_tiny_model.py" "$dir/tiny" "$ROOT/models/default" 2 0.1 >/dev/null
  local sst2=$ROOT/../shared/data/sst2/train.csv
  if [[ -f $sst2 ]]; then
    head -n 401 "$sst2" >"$dir/train.csv"
    return
  fi
  python3 - "$dir/train.csv" <<'PY'
import csv, sys
words = [["sunny", "bright", "warm", "summer", "beach"], ["rain", "storm", "cold", "winter", "dark"]]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["text", "label"])
    for i in range(400):
        c = i % 2
        w.writerow([" ".join(words[c][(i + k * 3) % 5] for k in range(3 + i % 9)), ["negative", "positive"][c]])
PY
}

# tiny_config FILE DIR [section.key=VALUE ...] writes the config of a training run on
# make_tiny_data's DIR: the settings every test shares, then each argument sets a key (VALUE as
# TOML writes it: strings quoted) or, empty, removes it. One writer, so that a new required key
# or a renamed one is changed here once.
tiny_config() {
  local file=$1 dir=$2
  shift 2
  local -a keys=(model.path data.train data.batch_size data.max_length data.cache_dir optim.lr
    optim.warmup_steps train.log_every train.seed checkpoint.keep_best runtime.threads)
  local -A value=([model.path]="'$dir/tiny'" [data.train]="'$dir/train.csv'" [data.batch_size]=8
    [data.max_length]=64 [data.cache_dir]="'$dir/cache'" [optim.lr]=1e-3 [optim.warmup_steps]=10
    [train.log_every]=1 [train.seed]=7 [checkpoint.keep_best]=0 [runtime.threads]=1)
  local setting key section
  for setting in "$@"; do
    key=${setting%%=*}
    [[ $setting == *=* && $key == *.* ]] || { echo "tiny_config: '$setting' is not section.key=VALUE" >&2; return 2; }
    [[ -v "value[$key]" ]] || keys+=("$key")
    value[$key]=${setting#*=}
  done
  for section in model data optim train checkpoint runtime; do
    echo "[$section]"
    for key in "${keys[@]}"; do
      if [[ $key == "$section".* && -n ${value[$key]} ]]; then echo "${key#*.} = ${value[$key]}"; fi
    done
  done >"$file"
}
