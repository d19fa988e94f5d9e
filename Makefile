# The two commands a new user runs: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
# ccache with paths relative to the clone: CI's fresh clones in new folders still hit the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: setup configure build cpu test-cpu test test-unit test-asan test-tsan demo bench test-slurm fuzz format clean \
	image image-deps test-image

setup:
	@bash scripts/setup.sh

configure: setup
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS); fi

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The CPU-only variant (build-cpu/berth): links libtorch_cpu and c10 but none of the CUDA
# libraries, so `berth predict`/`serve` on a CPU node start smaller and faster (BENCHMARKS.md,
# "CPU inference against ONNX Runtime"). Also builds bench/predict_latency and bench/no_amx for
# bench/ort_compare.sh (NO_AMX=1).
CPU_BUILD ?= build-cpu
cpu: setup
	@if [ ! -f $(CPU_BUILD)/build.ninja ]; then \
	  cmake -S . -B $(CPU_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_CUDA=OFF -DBERTH_BENCH=ON $(CMAKE_ARGS); fi
	cmake --build $(CPU_BUILD) -j $(JOBS) --target berth predict_latency no_amx

# The CPU variant's own check (label cpu_only): its predict maps no CUDA library.
test-cpu: cpu
	cd $(CPU_BUILD) && ctest --output-on-failure -L cpu_only

test: build
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 1500 -LE 'gpu|slow|image'

# The unit tier: tests that start no berth process (tests/CMakeLists.txt, BERTH_UNIT_TESTS);
# builds only what they link, not the berth executable. Each unit executable runs once, whole
# (CTest would start one process, and load LibTorch, per test: `ctest -L unit` runs the same
# tests that way), then the format check. Seconds once built.
test-unit: configure
	cmake --build $(BUILD) -j $(JOBS) --target berth_unit_tests
	@set -e; for t in $(BUILD)/*_unit_tests; do echo "== $$t"; (cd $(CURDIR) && $$t --gtest_brief=1); done
	cd $(BUILD) && ctest --output-on-failure -R '^(format_check|layering_.*)$$'

demo: build
	@bash scripts/demo.sh

# The named benchmarks (bench/run.sh): `make bench` lists them, `make bench NAME=<name>
# [ARGS="..."]` runs one with the arguments BENCHMARKS.md reports (minutes to hours each).
bench:
	@NAME="$(NAME)" ARGS="$(ARGS)" bash bench/run.sh

test-slurm: build
	cd $(BUILD) && ctest --output-on-failure -L slurm

# The container image (docs/cluster.md): Debian's packages (mmdebstrap) + the build + the torch
# wheel's libraries, made with buildah and written as a docker-archive for Apptainer, enroot or
# a registry. Needs root; prints the image's name and the archive's path and size. Its tools
# (and the image tests': skopeo and umoci read the archive as Apptainer does) are installed
# here, not by `make setup`, which every build runs.
IMAGE_APT := mmdebstrap buildah uidmap python3-jsonschema skopeo umoci squashfs-tools squashfuse
image-deps:
	@missing=$$(for p in $(IMAGE_APT); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "[image] installing $$missing"; s=; [ "$$(id -u)" = 0 ] || s=sudo; \
	  $$s apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y -qq $$missing >/dev/null; fi

image: build image-deps
	@bash scripts/image/build.sh $(BUILD)

# The image's tests (label "image", tests/image): its contents, the quickstart and the unit tier
# inside it, the multi-node Slurm training with ranks in its root file system, the Kubernetes
# pod commands, and a build as a user who is not root. Tens of minutes; needs root.
test-image: image
	cd $(BUILD) && ctest --output-on-failure -L image

# Sanitizers (scripts/sanitize.sh), each in its own build directory (build-asan, build-tsan):
# ASan + UBSan over the unit and single-process end-to-end tests; TSan over the MPI
# communicator's thread and the gradient reducer. A full instrumented build: tens of minutes.
test-asan: setup
	JOBS=$(JOBS) bash scripts/sanitize.sh asan

test-tsan: setup
	JOBS=$(JOBS) bash scripts/sanitize.sh tsan

FUZZ_SECONDS ?= 600
fuzz: setup
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD)
