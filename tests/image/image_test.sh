#!/usr/bin/env bash
# Checks the image `make image` built, run from its docker-archive file as a container runtime
# would (tests/image/image_env.sh: unpacked, then chroot with Apptainer's default binds).
# CTest label "image" (`make test-image`); needs root; slow parts take minutes.
#
#   tests/image/image_test.sh contents    berth --version, berth on PATH, every library
#                                         resolves, berth tokenize == the tokenizers library,
#                                         Open MPI with PMIx, no compiler or oracle
#   tests/image/image_test.sh quickstart  berth-quickstart (prep, train stopped by SIGUSR1 and
#                                         resumed, verify, eval, predict, report) in the image
#   tests/image/image_test.sh unit        the unit tier (build/*_unit_tests) on the image's
#                                         libraries instead of the build machine's
set -euo pipefail
source "$(dirname "$0")/image_env.sh"
what=${1:?usage: image_test.sh contents|quickstart|unit}
unpack_image
say() { echo "[image_test $what] $*"; }

case $what in
contents)
  v=$(in_image berth --version) || fail "berth --version failed in the image"
  echo "$v"
  grep -q '^berth [0-9]' <<<"$v" || fail "berth --version printed no version"
  grep -q '^LibTorch ' <<<"$v" || fail "berth --version names no LibTorch"
  [[ $(in_image sh -c 'command -v berth') == /opt/berth/bin/berth ]] ||
    fail "berth is not on the image's PATH as /opt/berth/bin/berth"
  # ssh sessions (mpirun across nodes and pods) do not get the image's PATH.
  [[ $(in_image /usr/bin/env -i /bin/sh -c 'command -v berth') == /usr/local/bin/berth ]] ||
    fail "berth is not on the default PATH (/usr/local/bin) for ssh-started ranks"
  # Every library berth, LibTorch's CUDA part and the dlopen'd ones need, from the image alone;
  # libcuda.so.1 is the GPU driver's, which the host provides (apptainer --nv, enroot's hook).
  for f in /opt/berth/bin/berth /opt/berth/lib/libtorch_cuda.so /opt/berth/lib/libtorch_cuda_linalg.so \
           /opt/berth/lib/libcaffe2_nvrtc.so /opt/berth/lib/libcudnn.so.9 /usr/bin/orted; do
    out=$(in_image ldd "$f") || fail "ldd $f failed in the image (is it there?)"
    missing=$(grep 'not found' <<<"$out" | grep -v 'libcuda\.so\.1' || true)
    [[ -z $missing ]] || fail "$f lacks libraries in the image: $missing"
  done
  # The tokenizer (utf8proc, PCRE2, the model's tokenizer.json) at work in the image, against the
  # tokenizers library's ids for the same file and text.
  text='Berth tokenizes "naïve" café text: 3.5 GB, ünïcödé!'
  got=$(printf '%s\n' "$text" | in_image berth tokenize --model /opt/berth/models/default) ||
    fail "berth tokenize failed in the image"
  "${BERTH_PYTHON:-$ROOT/.venv/bin/python}" - "$RootFS/opt/berth/models/default/tokenizer.json" "$text" "$got" <<'PY' ||
import json, sys
from tokenizers import Tokenizer
t = Tokenizer.from_file(sys.argv[1])
t.no_padding()
t.no_truncation()
want = t.encode(sys.argv[2]).ids
got = json.loads(sys.argv[3])
assert got == want, f"image's berth tokenize {got} != tokenizers {want}"
print(f"tokenize in the image: {len(got)} ids, as the tokenizers library")
PY
    fail "berth tokenize in the image disagrees with the tokenizers library"
  in_image mpirun --version | head -1 | grep -q 'Open MPI' || fail "no Open MPI mpirun in the image"
  in_image ompi_info --parsable | grep -q 'mca:pmix:' || fail "the image's Open MPI has no PMIx component (srun --mpi=pmix needs it)"
  # No compilers, no Python, no test oracles, no test binaries.
  for t in gcc cc g++ c++ clang cpp ld python3 python; do
    if in_image sh -c "command -v $t" >/dev/null; then fail "the image has $t: it should hold the runtime only"; fi
  done
  oracles=$(find "$RootFS" \( -name 'transformers' -o -name 'libgtest*' -o -name '*_unit_tests' -o -name 'site-packages' \) -print -quit)
  [[ -z $oracles ]] || fail "the image holds test material: $oracles"
  [[ -f $RootFS/opt/berth/models/default/model.safetensors ]] || fail "no default model in the image"
  [[ -f $RootFS/opt/berth/slurm/train.sbatch ]] || fail "no Slurm scripts in the image"
  # The archive as containers/image reads it (the library behind `apptainer build ...
  # docker-archive://`, skopeo and podman): its manifest, platform, environment, and a revision
  # label that names the commit the image's berth was built from.
  if command -v skopeo >/dev/null; then
    skopeo inspect "docker-archive:$ARCHIVE" >"$BUILD/image/inspect.json" ||
      fail "skopeo cannot read $ARCHIVE as a docker-archive"
    python3 - "$BUILD/image/inspect.json" "$v" <<'PY' || fail "the archive's metadata is wrong"
import json, sys
i = json.load(open(sys.argv[1]))
assert i["Os"] == "linux" and i["Architecture"] == "amd64", (i["Os"], i["Architecture"])
assert any(e.startswith("PATH=/opt/berth/bin:") for e in i["Env"]), i["Env"]
# The label is the tree's commit when the image was made; berth --version names the commit
# berth was compiled from: the same one, or the image holds a stale berth.
rev = i["Labels"]["org.opencontainers.image.revision"]
built = sys.argv[2].split("(commit ")[1].split(")")[0].removesuffix("-dirty")
assert rev.startswith(built), f"label revision {rev} but the image's berth is from {built}"
print(f"skopeo inspect: {len(i['Layers'])} layer(s), revision {rev[:12]}")
PY
  else
    say "skopeo not installed: the archive's metadata is not checked with containers/image"
  fi
  say "image $(du -sh "$RootFS" | cut -f1) unpacked, archive $(du -h "$ARCHIVE" | cut -f1) ($ARCHIVE)"
  say "PASS"
  ;;
quickstart)
  dir=$(mktemp -d /tmp/berth-image-quickstart.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  start=$SECONDS
  in_image berth-quickstart "$dir" || fail "berth-quickstart failed in the image"
  python3 - "$dir" <<'PY' || fail "the quickstart's results are wrong"
import json, sys
d = sys.argv[1]
ev = json.load(open(f"{d}/eval.json"))
acc = ev["accuracy"]
print(f"test accuracy {acc:.3f}")
assert acc > 0.5, f"accuracy {acc} on 6 classes: training did not learn"
preds = [json.loads(l) for l in open(f"{d}/predictions.jsonl")]
assert len(preds) == 3 and all("label" in p for p in preds), preds
kinds = [json.loads(l).get("type") for l in open(f"{d}/run/metrics.jsonl")]
assert "stopped" in kinds and "resume" in kinds, "no stop and resume in metrics.jsonl"
PY
  [[ -s $dir/report.html ]] || fail "no report.html"
  say "quickstart in the image: $((SECONDS - start)) s"
  say "PASS"
  ;;
unit)
  shopt -s nullglob
  tests=("$BUILD"/*_unit_tests)
  ((${#tests[@]})) || fail "no unit test executables in $BUILD: run 'make test-unit' or 'make build' first"
  cd "$ROOT"
  for t in "${tests[@]}"; do
    say "$t"
    in_image --bind "$ROOT" --bind "$BUILD" "$t" --gtest_brief=1 || fail "$(basename "$t") failed on the image's libraries"
  done
  say "PASS (${#tests[@]} unit executables)"
  ;;
*) fail "unknown part '$what': contents, quickstart or unit" ;;
esac
