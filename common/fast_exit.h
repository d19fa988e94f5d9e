// Ending a short process without its teardown. A `berth predict` of 2 texts spent about a third
// of its CPU in exit(): LibTorch's static destructors deregister every operator kernel one by
// one and the heap is consolidated block by block, all to free memory the kernel reclaims at
// once anyway (BENCHMARKS.md, "Start-up of a 2-text CPU predict").
#pragma once

namespace berth {

// Flushes what a process may still hold for its outputs (std::cout/cerr/clog, every C stdio
// stream, every spdlog logger's sinks) and ends the process with `code` without running static
// destructors or atexit handlers. Only for a process whose remaining teardown frees memory
// and nothing else: files written through durable::AtomicFile or an OutputTarget are complete
// before their owners return, so a command's callback that returned has nothing left to do.
// Under AddressSanitizer (whose leak check runs at exit) or with BERTH_FAST_EXIT=0 it calls
// std::exit instead, so that teardown still runs where it is being checked.
[[noreturn]] void fast_exit(int code);

// Whether fast_exit skips the teardown in this process (see above).
bool fast_exit_enabled();

}  // namespace berth
