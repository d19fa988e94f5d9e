// Learning-rate schedules with linear warm-up, with the semantics of Hugging Face's
// get_{linear,cosine,constant}_schedule_with_warmup: the update with index `step` (0-based, the
// first optimizer step is 0) uses base_lr * factor(step).
#pragma once

#include <cstdint>

#include "common/choices.h"

namespace berth::trainer {

class LrSchedule {
 public:
  LrSchedule(Schedule kind, double base_lr, int64_t warmup_steps, int64_t total_steps);
  double lr(int64_t step) const { return base_lr_ * factor(step); }
  double factor(int64_t step) const;
  int64_t warmup_steps() const { return warmup_; }
  int64_t total_steps() const { return total_; }

 private:
  Schedule kind_;
  double base_lr_;
  int64_t warmup_;
  int64_t total_;
};

// warmup_steps >= 0 wins; otherwise ceil(ratio * total), as transformers' TrainingArguments does.
int64_t resolve_warmup(int64_t warmup_steps, double warmup_ratio, int64_t total_steps);

}  // namespace berth::trainer
