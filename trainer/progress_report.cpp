#include "trainer/progress_report.h"

#include <algorithm>

#include "common/clock.h"
#include "common/live_line.h"
#include "common/log.h"

namespace berth::trainer {

void ProgressReport::add_loss(const StepLoss& l) {
  if (!l.skipped && std::isfinite(l.loss))
    smoothed_loss_ = std::isnan(smoothed_loss_) ? l.loss : 0.9 * smoothed_loss_ + 0.1 * l.loss;
  window_.loss += l.loss;
  last_loss_ = l.loss;
  last_stepped_ = !l.skipped;
}

void ProgressReport::add_step(double dt, double cpu_seconds, bool read_losses) {
  window_.cpu_seconds += cpu_seconds;
  session_.seconds += dt;
  session_.steps += 1;
  window_.seconds += dt;
  // The session's first step also pays for lazy initialisation: it counts only while alone. A
  // step that read the losses back also waited for the queued ones: end_window() counts it.
  if (session_.steps == 1)
    first_step_s_ = dt;
  else if (!read_losses)
    stop_cost_.step_s = std::max(stop_cost_.step_s, dt);
}

void ProgressReport::add_wait(double seconds) {
  session_.seconds += seconds;
  window_.seconds += seconds;
}

void ProgressReport::add_checkpoint_seconds(double seconds) {
  stop_cost_.checkpoint_s = std::max(stop_cost_.checkpoint_s, seconds);
}

StopCost ProgressReport::stop_cost() const {
  StopCost cost = stop_cost_;
  if (session_.steps == 1) cost.step_s = first_step_s_;
  return cost;
}

nlohmann::json ProgressReport::end_window(int64_t step, int64_t epoch, double lr, double grad_norm,
                                          int world_size) {
  double sps = window_.samples / std::max(1e-9, window_.seconds);
  double tps = window_.tokens / std::max(1e-9, window_.seconds);
  double eta = (total_steps_ - step) * session_.seconds / std::max<int64_t>(1, session_.steps);
  // A step's wall time, measured over the window (a single step's time is only its launch).
  if (session_.steps > window_.steps)
    stop_cost_.step_s = std::max(stop_cost_.step_s, window_.seconds / window_.steps);
  // On a terminal the live line shows this; the log file still gets the line.
  log::progress(*log_, fmt::format("epoch {} step {}/{} loss {:.4f} (smoothed {:.4f}) lr {:.3e} "
                                   "grad_norm {:.3f} {:.1f} samples/s {:.0f} tokens/s eta {}",
                                   epoch, step, total_steps_, window_.loss / window_.steps,
                                   smoothed_loss_, lr, grad_norm, sps, tps, format_duration(eta)));
  last_window_sps_ = sps, last_window_loss_ = window_.loss / window_.steps;
  nlohmann::json rec = {{"epoch", epoch},
                        {"loss", last_loss_},
                        {"mean_loss", window_.loss / window_.steps},
                        {"lr", lr},
                        {"samples_per_s", sps},
                        {"tokens_per_s", tps},
                        {"samples", window_.samples},
                        {"tokens", window_.tokens},
                        {"seconds", window_.seconds},
                        {"cpu_seconds", window_.cpu_seconds},
                        {"padded_tokens", window_.padded * world_size},
                        {"stepped", last_stepped_},
                        {"eta_s", eta}};
  rec["grad_norm"] = std::isfinite(grad_norm) ? nlohmann::json(grad_norm) : nlohmann::json();
  // The share of step time spent waiting for gradients from other ranks (scaling benchmarks).
  if (world_size > 1)
    rec["comm_wait_fraction"] = window_.comm_wait / std::max(1e-9, window_.seconds);
  log_->debug(
      "per step over the last {}: {:.3f}s = forward {:.3f}s + backward {:.3f}s + gradient "
      "reduction {:.3f}s + optimizer {:.3f}s (host time; on a GPU the launches), {} tokens "
      "(with padding) on this rank",
      window_.steps, window_.seconds / window_.steps, window_.forward / window_.steps,
      window_.backward / window_.steps, window_.finish / window_.steps,
      window_.optimizer / window_.steps, window_.padded / window_.steps);
  window_.reset();
  return rec;
}

// Nothing in the live line reads from the device: the loss is the last logged window's, the rate
// the last window's (or the current one's before the first window ends).
void ProgressReport::show_live(int64_t step, int64_t epoch) {
  const double sps = std::isfinite(last_window_sps_)
                         ? last_window_sps_
                         : window_.samples / std::max(1e-9, window_.seconds);
  const double eta =
      (total_steps_ - step) * session_.seconds / std::max<int64_t>(1, session_.steps);
  const int pct = total_steps_ > 0 ? static_cast<int>(100 * step / total_steps_) : 0;
  constexpr int kBar = 10;
  std::string bar(kBar, ' ');
  std::fill(bar.begin(), bar.begin() + std::min(kBar, pct * kBar / 100), '#');
  std::string loss =
      std::isfinite(last_window_loss_) ? fmt::format(" loss {:.4f}", last_window_loss_) : "";
  log::set_live_line(fmt::format("[{}] {:3d}% step {}/{} epoch {}{} {:.0f} samples/s eta {}{}", bar,
                                 pct, step, total_steps_, epoch, loss, sps, format_duration(eta),
                                 last_dev_.empty() ? "" : " | " + last_dev_),
                     step == total_steps_);
}

}  // namespace berth::trainer
