// The process's heap policy, set once at start by every entry point (berth's main, the bench
// tools), before the first large tensor.
//
// LibTorch's CPU tensors come from glibc malloc. glibc serves blocks over its mmap threshold
// (at most 32 MiB even after its own adjustment) with a fresh mmap and returns them on free, and
// trims the heap top above 128 KiB once the threshold is set by hand: a training step then
// page-faults its large buffers anew each time (the 47 MB word-embedding gradient of the default
// model alone is 11,500 pages a step). Measured on SST-2 with the default model, 2 threads
// (bench/heap_faults.sh): about 5,100 minor faults a step fewer and 3 to 17 % more samples/s
// depending on the run (BENCHMARKS.md, "The heap").
#pragma once

#include <string>

namespace berth {

struct AllocatorPolicy {
  bool applied = false;  // false: the user's own GLIBC_TUNABLES/MALLOC_* settings are kept
  std::string reason;    // what was done or why not, for the start-up log
};

// Keeps freed memory in the heap for reuse (mmap threshold 256 MiB, trim threshold 512 MiB)
// unless the environment sets glibc's malloc tunables itself (GLIBC_TUNABLES with
// glibc.malloc.*, or MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_/MALLOC_TOP_PAD_) or
// BERTH_MALLOC=default asks for glibc's defaults. Does nothing without glibc. Safe to call more
// than once.
AllocatorPolicy apply_allocator_policy();

// What the last apply_allocator_policy() did (before any: not applied, "not set"), for the
// start-up log.
const AllocatorPolicy& allocator_policy();

// Hands the heap's free pages back to the kernel once (glibc's malloc_trim: every arena, free
// blocks in the middle of the heap too). For the end of a one-off phase whose freed memory the
// steady state will not reuse: a predictor's load (the tokenizer thread's parse buffers) and the
// load-time packing of inference weights (model/packed_gemm.h), whose released fp32 copies the
// policy above would otherwise keep resident (BENCHMARKS.md, "Start-up of a 2-text CPU predict").
// Does nothing without glibc.
void release_free_heap_pages();

}  // namespace berth
