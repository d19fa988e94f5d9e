#!/usr/bin/env bash
# A CPU-only build's `berth predict` (CMake -DBERTH_CUDA=OFF, `make cpu`) loads none of the CUDA
# libraries: neither linked (ldd) nor opened at run time (the dynamic loader's own log of every
# library it maps, LD_DEBUG=libs, which also sees dlopen). Registered only in builds without the
# CUDA parts (tests/CMakeLists.txt, label cpu_only; `make test-cpu`).
#
# usage: cpu_only_process_test.sh BERTH PYTHON SOURCE_DIR
set -euo pipefail
BERTH=$1
PY=$2
SRC=$3
CUDA_LIBS='libtorch_cuda|libc10_cuda|libcudart|libcupti|libcublas|libcudnn|libnccl|libcusparse|libcufft|libnvrtc|libnvshmem'
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The CUDA wheel's libtorch_cpu itself needs the CUDA runtime and CUPTI (its profiler); only a
# CPU-only LibTorch drops those. They are tolerated where, and only because, libtorch_cpu names
# them; everything else CUDA (libtorch_cuda, cuBLAS, cuDNN, NCCL, ...) must be absent.
torch_cpu=$(ldd "$BERTH" | awk '/libtorch_cpu/ {print $3}')
[[ -f "$torch_cpu" ]] || { echo "FAIL: $BERTH does not link libtorch_cpu"; exit 1; }
for lib in $(readelf -d "$torch_cpu" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -E "$CUDA_LIBS" || true); do
  echo "note: libtorch_cpu itself needs $lib (a CUDA build of LibTorch); tolerated"
  CUDA_LIBS=$(echo "$CUDA_LIBS" | tr '|' '\n' | grep -v "^${lib%%.so*}\$" | paste -sd'|')
done

linked=$(ldd "$BERTH" | grep -E "$CUDA_LIBS" || true)
if [[ -n "$linked" ]]; then
  echo "FAIL: $BERTH links CUDA libraries:"
  echo "$linked"
  exit 1
fi

# models/default with a 2-label head (saved by transformers): what `berth predict` loads.
HF_HUB_OFFLINE=1 "$PY" "$SRC/bench/hf_pipeline_bench.py" make-checkpoint "$SRC/models/default" \
  "$TMP/ckpt" 0 2> /dev/null
printf 'a gripping , funny film\nflat and lifeless\n' > "$TMP/texts.txt"
LD_DEBUG=libs LD_DEBUG_OUTPUT="$TMP/ld" "$BERTH" predict --checkpoint "$TMP/ckpt" \
  --input "$TMP/texts.txt" --output "$TMP/out.jsonl" --threads 1 2> "$TMP/stderr" ||
  { cat "$TMP/stderr"; echo "FAIL: berth predict failed"; exit 1; }
[[ $(wc -l < "$TMP/out.jsonl") -eq 2 ]] || { echo "FAIL: expected 2 predictions"; exit 1; }
# The log names each library the loader maps ("calling init: <path>"); it must have seen torch.
cat "$TMP"/ld.* > "$TMP/ld.all"
grep -q 'calling init: .*libtorch_cpu' "$TMP/ld.all" ||
  { echo "FAIL: LD_DEBUG log does not show libtorch_cpu: the check would see nothing"; exit 1; }
mapped=$(grep 'calling init:' "$TMP/ld.all" | grep -E "$CUDA_LIBS" || true)
if [[ -n "$mapped" ]]; then
  echo "FAIL: berth predict mapped CUDA libraries:"
  echo "$mapped"
  exit 1
fi
echo "OK: no CUDA library linked or mapped; $(grep -c 'calling init:' "$TMP/ld.all") libraries initialized"
