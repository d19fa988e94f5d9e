#include "trainer/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace berth::trainer {

LrSchedule::LrSchedule(Schedule kind, double base_lr, int64_t warmup_steps, int64_t total_steps)
    : kind_(kind), base_lr_(base_lr), warmup_(warmup_steps), total_(total_steps) {}

double LrSchedule::factor(int64_t step) const {
  if (step < warmup_) return static_cast<double>(step) / std::max<int64_t>(1, warmup_);
  if (kind_ == Schedule::kConstant) return 1.0;
  double span = static_cast<double>(std::max<int64_t>(1, total_ - warmup_));
  if (kind_ == Schedule::kCosine) {
    double progress = static_cast<double>(step - warmup_) / span;
    return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * 2.0 * 0.5 * progress)));
  }
  return std::max(0.0, static_cast<double>(total_ - step) / span);  // linear
}

int64_t resolve_warmup(int64_t warmup_steps, double warmup_ratio, int64_t total_steps) {
  if (warmup_steps >= 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(warmup_ratio * static_cast<double>(total_steps)));
}

}  // namespace berth::trainer
