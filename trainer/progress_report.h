// What a run tells people about its progress: the step losses once read back (smoothed), the
// meters of the logging window and of this process, the log line and train record of each
// window, the live line on a terminal, and what a stop costs (the longest step after the first,
// the longest checkpoint write) for the scheduler's lead-time check. Nothing here reads from the
// device.
#pragma once

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "trainer/scheduler_env.h"
#include "trainer/step_losses.h"
#include "trainer/step_meter.h"

namespace berth::trainer {

class ProgressReport {
 public:
  explicit ProgressReport(std::shared_ptr<spdlog::logger> log) : log_(std::move(log)) {}

  void set_total_steps(int64_t total) { total_steps_ = total; }
  StepMeter& window() { return window_; }
  const StepMeter& session() const { return session_; }

  // A step's loss, read back: into the window's sum and the smoothed loss.
  void add_loss(const StepLoss& loss);
  // A step that took `seconds` (wall) and `cpu_seconds`; `read_losses`: it also waited for the
  // queued steps (its time is then no step's own).
  void add_step(double seconds, double cpu_seconds, bool read_losses);
  // Waiting for the device outside a step (before an evaluation or a checkpoint): training time.
  void add_wait(double seconds);
  // The window's log line and its train record (without the step, which the writer adds); the
  // window starts afresh.
  nlohmann::json end_window(int64_t step, int64_t epoch, double lr, double grad_norm,
                            int world_size);
  // The live line on rank 0's terminal (at most 10 redraws a second).
  void show_live(int64_t step, int64_t epoch);
  void set_last_dev(std::string text) { last_dev_ = std::move(text); }

  void add_checkpoint_seconds(double seconds);
  // What a stop costs as measured so far (the first step counts while it is the only one).
  StopCost stop_cost() const;

 private:
  std::shared_ptr<spdlog::logger> log_;
  int64_t total_steps_ = 0;
  StepMeter window_;   // since the last log line
  StepMeter session_;  // since this process started (steps and seconds only)
  double smoothed_loss_ = NAN;
  double last_loss_ = NAN;
  bool last_stepped_ = true;
  // For the live line: the last logged window's rate and loss, and the last dev evaluation.
  double last_window_sps_ = NAN, last_window_loss_ = NAN;
  std::string last_dev_;
  StopCost stop_cost_;
  double first_step_s_ = 0;
};

}  // namespace berth::trainer
