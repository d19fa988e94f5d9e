// What the training loop counts between two log lines (a window) and over the whole process (a
// session): plain sums, reset as a whole, so that TrainingRun holds two meters instead of a
// dozen loose counters that each need resetting.
#pragma once

#include <cstdint>

namespace berth::trainer {

struct StepMeter {
  int64_t steps = 0;
  int64_t samples = 0;  // examples over all ranks
  int64_t tokens = 0;   // real (unpadded) tokens: this rank's times the ranks
  int64_t padded = 0;   // this rank's padded positions (ids in its batches)
  double seconds = 0;   // wall time of the steps, loss reads included
  double loss = 0;      // sum of the steps' mean losses
  // Process CPU time of the steps (all threads): on a shared machine far less disturbed by
  // other processes than wall time (bench/cpu_lever_ab.sh compares levers by it).
  double cpu_seconds = 0;
  // Where this rank's step time went (debug log), and how long backward waited for gradient
  // all-reduces.
  double forward = 0, backward = 0, finish = 0, optimizer = 0, comm_wait = 0;

  void reset() { *this = StepMeter{}; }
};

}  // namespace berth::trainer
