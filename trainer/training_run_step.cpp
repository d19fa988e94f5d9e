#include <cmath>
#include <ctime>

#include "common/error.h"
#include "common/live_line.h"
#include "trainer/step_profiler.h"
#include "trainer/training_run.h"

namespace berth::trainer {

// One optimizer step and its bookkeeping: the batches, the step (StepRunner), its loss queued on
// the device, the counters, and the log line when the schedule says so.
void TrainingRun::train_step() {
  std::optional<StepProfiler> profiler;
  if (cfg_.train.profile_step == state_.step + 1)
    profiler.emplace(layout_.profile(state_.step + 1, comm_.rank()).string());
  auto t0 = Clock::now();
  const std::clock_t cpu0 = std::clock();
  StepBatches b = batches_->next(state_.epoch, state_.position);
  StepMeter& window = progress_.window();
  window.padded += b.padded;
  const double lr = schedule_->lr(state_.step);
  step_->run(b.mine, b.normaliser, lr, window);
  // This step's loss (and skip flag) joins the ones not yet read back.
  if (losses_.full()) flush_losses();
  losses_.queue(state_.step + 1, step_->step_loss());

  state_.step += 1;
  state_.position = b.next_position;
  state_.samples_seen += b.examples;
  window.steps += 1;
  window.samples += b.examples, window.tokens += b.tokens * comm_.world_size();
  const bool log_now = events_.log_due(state_.step);
  // Reading the losses back waits for the queued steps: that wait is training time.
  if (log_now) flush_losses();
  double dt = seconds_since(t0);
  const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  if (profiler) {
    settle_device();
    log_->info("step {} profiled ({:.3f} s with the profiler's cost): {}", state_.step, dt,
               profiler->stop());
  }
  state_.train_seconds += dt;
  progress_.add_step(dt, cpu, log_now);
  if (log_now) log_window(lr);
  if (log::live_progress()) progress_.show_live(state_.step, state_.epoch + 1);
}

double TrainingRun::flush_losses() {
  auto t0 = Clock::now();
  const auto losses = losses_.read(comm_);
  if (losses.empty()) return 0.0;
  for (const StepLoss& l : losses) {
    if (!std::isfinite(l.loss) && cfg_.train.precision != Precision::kFp16) {
      throw Error(
          "trainer",
          "the training loss is " + std::to_string(l.loss) + " at step " + std::to_string(l.step),
          "the run diverged: lower optim.lr, enable optim.max_grad_norm, or check the data",
          ExitCode::kNumeric);
    }
    if (l.skipped) log_->warn("step {}: inf/NaN gradients in fp16, step skipped", l.step);
    progress_.add_loss(l);
  }
  if (step_->scaler().enabled()) step_->scaler().check();
  return seconds_since(t0);
}

void TrainingRun::settle_device() {
  // Steps queued on the device finish before evaluation or a checkpoint reads the weights; the
  // wait belongs to training time.
  double waited = flush_losses();
  state_.train_seconds += waited;
  progress_.add_wait(waited);
}

void TrainingRun::log_window(double lr) {
  auto rec = progress_.end_window(state_.step, state_.epoch + 1, lr, step_->grad_norm(),
                                  comm_.world_size());
  auto& scaler = step_->scaler();
  if (scaler.enabled())
    rec["loss_scale"] = scaler.scale(), rec["skipped_steps"] = scaler.skipped_steps();
  if (step_->graphs()) rec["graph_replays"] = step_->graphs()->replays();
  metrics_.write(run_directory::RecordType::kTrain, state_.step, rec);
}

}  // namespace berth::trainer
