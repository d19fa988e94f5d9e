// `berth train`: the training loop, written for N ranks behind a distributed::Communicator (a
// single-process one when not launched by MPI). Returns the exit status: 0 when training finished,
// ExitCode::kStopped when a signal asked it to stop (after writing a checkpoint).
#pragma once

#include <string>

#include "checkpoint/resume_from.h"
#include "distributed/communicator.h"
#include "trainer/train_config.h"

namespace berth::trainer {

struct RunOptions {
  checkpoint::ResumeFrom resume;  // --resume
  // Test hook: file that receives the example indices of every micro-batch of this rank
  // (one JSON array a line), so a Python reference can replay the same batches.
  std::string batch_trace;
  // Test hook: behave as if a stop signal arrived right after this optimizer step (0 = off).
  int64_t stop_after_step = 0;
  // Test hook: "<step>:<phase>" kills the process (exit 99) at that phase of that step's
  // checkpoint write (phases of checkpoint::CheckpointWriter), to test crash safety.
  std::string crash_at;
  // Test hook: this rank sleeps forever after that optimizer step (-1 = off), to test timeouts.
  int hang_rank = -1;
  int64_t hang_after_step = 0;
};

int train(const TrainConfig& config, const RunOptions& options, distributed::Communicator& comm);

}  // namespace berth::trainer
