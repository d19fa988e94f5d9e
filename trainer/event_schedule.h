// When a run logs, evaluates, saves and stops: the schedule of events around the optimizer
// steps, decided here and nowhere else, so that the step itself knows nothing of them (Marian's
// scheduler / training-state split). Decisions that depend on one rank's view (a signal, rank
// 0's clock) are agreed over the ranks here, so every rank takes the same turn.
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "distributed/communicator.h"
#include "trainer/train_config.h"
#include "trainer/train_state.h"
#include "trainer/trainer.h"

namespace berth::trainer {

class EventSchedule {
 public:
  EventSchedule(const TrainConfig& cfg, const RunOptions& options, distributed::Communicator& comm)
      : cfg_(cfg), options_(options), comm_(comm) {}

  void set_total_steps(int64_t total) { total_steps_ = total; }
  int64_t total_steps() const { return total_steps_; }

  bool finished(const TrainState& state) const {
    return state.step >= total_steps_ || state.early_stopped;
  }
  // A stop signal on any rank, or the --stop-after-step test hook at `step`.
  bool stop_due(int64_t step);
  // The losses are read back and a train record written after this step.
  bool log_due(int64_t step) const;
  // A dev evaluation after this step: every train.eval_every steps, or at an epoch's end when
  // it is 0.
  bool eval_due(int64_t step, bool epoch_ended) const;
  // After the last step, an evaluation when the interval did not just make one.
  bool final_eval_due(int64_t step) const;
  // The reason for a checkpoint after this step ("interval", "timer"), or null.
  const char* save_due(int64_t step);
  // A checkpoint of `step` exists (written by this process, or resumed from).
  bool saved_at(int64_t step) const { return last_saved_step_ == step; }
  void saved(int64_t step);
  void resumed_at(int64_t step) { last_saved_step_ = step; }

 private:
  const TrainConfig& cfg_;
  const RunOptions& options_;
  distributed::Communicator& comm_;
  int64_t total_steps_ = 0;
  int64_t last_saved_step_ = -1;
  Clock::time_point last_save_time_ = Clock::now();
};

}  // namespace berth::trainer
