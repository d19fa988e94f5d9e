#include "trainer/event_schedule.h"

#include "trainer/stop_signal.h"

namespace berth::trainer {

bool EventSchedule::stop_due(int64_t step) {
  const bool injected = options_.stop_after_step > 0 && step == options_.stop_after_step;
  return comm_.any(stop_requested() || injected);
}

bool EventSchedule::log_due(int64_t step) const {
  return step % cfg_.train.log_every == 0 || step == total_steps_;
}

bool EventSchedule::eval_due(int64_t step, bool epoch_ended) const {
  const int64_t every = cfg_.train.eval_every;
  return every > 0 ? step % every == 0 : epoch_ended;
}

bool EventSchedule::final_eval_due(int64_t step) const {
  return cfg_.train.eval_every > 0 && step % cfg_.train.eval_every != 0;
}

const char* EventSchedule::save_due(int64_t step) {
  const bool due = cfg_.checkpoint.every_steps > 0 && step % cfg_.checkpoint.every_steps == 0;
  // Time-based saves: rank 0's clock decides for everyone.
  bool timed = comm_.rank() == 0 && cfg_.checkpoint.every_minutes > 0 &&
               seconds_since(last_save_time_) >= cfg_.checkpoint.every_minutes * 60;
  if (comm_.world_size() > 1) timed = comm_.any(timed);
  return due ? "interval" : timed ? "timer" : nullptr;
}

void EventSchedule::saved(int64_t step) {
  last_saved_step_ = step;
  last_save_time_ = Clock::now();
}

}  // namespace berth::trainer
