#!/usr/bin/env bash
# Start-up A/B of two builds (BENCHMARKS.md, "Start-up of a 2-text CPU predict"): issue 27's row,
# `/usr/bin/time BUILD/berth predict --checkpoint CKPT --input two.txt --threads T`, and
# `BUILD/berth --version` (the floor), the two builds alternating run by run (the first of each
# pair alternating too), ROUNDS rounds, each run under /tmp/berth-bench.lock. Prints each
# side's median (min-max) wall, CPU (user + sys) and peak RSS, the paired new/old wall ratios,
# and whether the two wrote the same predictions.
# usage: bench/startup_ab.sh OLD_BUILD NEW_BUILD CKPT TEXTS [ROUNDS=10] [THREADS=2]
set -euo pipefail
old=$1 new=$2 ck=$3 texts=$4 rounds=${5:-10} threads=${6:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
texts2=$tmp/two.txt
head -n 2 "$texts" >"$texts2"
echo "load before: $(uptime)"
run() {  # SIDE KIND BUILD: one timed run, appended to $tmp/SIDE-KIND as "wall cpu rss_kb"
  local side=$1 kind=$2 b=$3
  local cmd=("$b/berth" --version) out=/dev/null
  # The predictions on standard output, as bench/ort_compare.sh's start-up row runs it.
  [[ $kind == predict ]] && cmd=("$b/berth" predict --checkpoint "$ck" --input "$texts2"
    --threads "$threads") out=$tmp/$side.jsonl
  flock /tmp/berth-bench.lock /usr/bin/time -o "$tmp/t" -f "%e %U %S %M" "${cmd[@]}" \
    >"$out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}' "$tmp/t" >>"$tmp/$side-$kind"
}
for r in $(seq "$rounds"); do
  for kind in predict version; do
    if ((r % 2)); then
      run old "$kind" "$old"
      run new "$kind" "$new"
    else
      run new "$kind" "$new"
      run old "$kind" "$old"
    fi
  done
done
echo "load after: $(uptime)"
python3 - "$tmp" <<'EOF'
import statistics, sys
tmp = sys.argv[1]
def rows(name):
    return [list(map(float, l.split())) for l in open(f"{tmp}/{name}")]
def fmt(xs, scale=1.0, digits=3):
    xs = [x * scale for x in xs]
    return f"{statistics.median(xs):.{digits}f} ({min(xs):.{digits}f}-{max(xs):.{digits}f})"
print(f"{'run':22} {'wall s':>22} {'CPU s (user+sys)':>22} {'peak RSS MB':>22}")
for kind in ("predict", "version"):
    for side in ("old", "new"):
        r = rows(f"{side}-{kind}")
        print(f"{side + ' ' + kind:22} {fmt([x[0] for x in r]):>22} {fmt([x[1] for x in r]):>22}"
              f" {fmt([x[2] for x in r], 1 / 1024, 1):>22}")
    o, n = rows(f"old-{kind}"), rows(f"new-{kind}")
    ratios = [b[0] / a[0] for a, b in zip(o, n)]
    print(f"{'  new/old wall, ' + kind:22} {fmt(ratios):>22}")
EOF
cmp -s "$tmp/old.jsonl" "$tmp/new.jsonl" && echo "same predictions file" || echo "predictions differ"
