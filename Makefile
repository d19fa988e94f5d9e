# The two commands a new user runs: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
# ccache with paths relative to the clone: CI's fresh clones in new folders still hit the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: setup configure build test test-unit test-asan test-tsan demo bench test-slurm fuzz format clean

setup:
	@bash scripts/setup.sh

configure: setup
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS); fi

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 1500 -LE 'gpu|slow'

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
