// One optimizer step recorded by LibTorch's profiler (train.profile_step): every ATen op with its
// start and duration, inside "forward" / "backward" / "optimizer" ranges, written as a Chrome
// trace (chrome://tracing, Perfetto) that bench/profile_table.py turns into the per-op table of
// BENCHMARKS.md. Only CPU activity is recorded; on a GPU the host-side launches.
#pragma once

#include <string>

namespace berth::trainer {

class StepProfiler {
 public:
  // Starts recording now; the trace goes to `path` when stop() is called.
  explicit StepProfiler(std::string path);
  ~StepProfiler();  // stops (and writes) if stop() was not called
  StepProfiler(const StepProfiler&) = delete;
  StepProfiler& operator=(const StepProfiler&) = delete;
  // Ends the recording and writes the trace; returns its path.
  const std::string& stop();

 private:
  std::string path_;
  bool active_ = false;
};

}  // namespace berth::trainer
