#include <algorithm>
#include <cmath>

#include "common/live_line.h"
#include "trainer/training_run.h"

namespace berth::trainer {

// The live line on rank 0's terminal, redrawn after every step (at most 10 times a second).
// Nothing in it reads from the device: the loss is the last logged window's, the rate the last
// window's (or the current one's before the first window ends).
void TrainingRun::show_live_progress() {
  const double sps = std::isfinite(last_window_sps_)
                         ? last_window_sps_
                         : window_.samples / std::max(1e-9, window_.seconds);
  const double eta =
      (total_steps_ - state_.step) * session_.seconds / std::max<int64_t>(1, session_.steps);
  const int pct = total_steps_ > 0 ? static_cast<int>(100 * state_.step / total_steps_) : 0;
  constexpr int kBar = 10;
  std::string bar(kBar, ' ');
  std::fill(bar.begin(), bar.begin() + std::min(kBar, pct * kBar / 100), '#');
  std::string loss =
      std::isfinite(last_window_loss_) ? fmt::format(" loss {:.4f}", last_window_loss_) : "";
  log::set_live_line(fmt::format("[{}] {:3d}% step {}/{} epoch {}{} {:.0f} samples/s eta {}{}", bar,
                                 pct, state_.step, total_steps_, state_.epoch + 1, loss, sps,
                                 format_duration(eta), last_dev_.empty() ? "" : " | " + last_dev_),
                     state_.step == total_steps_);
}

}  // namespace berth::trainer
