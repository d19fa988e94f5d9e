// The schedule of a run's events (trainer/event_schedule.h), apart from any step: when it logs,
// evaluates, saves and stops, for the settings that decide each.
#include "trainer/event_schedule.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "trainer/stop_signal.h"

namespace berth::trainer {
namespace {

struct Schedule {
  TrainConfig cfg;
  RunOptions opts;
  distributed::SingleProcessCommunicator comm;
  EventSchedule events{cfg, opts, comm};
};

TEST(EventSchedule, LogsEveryWindowAndAtTheLastStep) {
  Schedule s;
  s.cfg.train.log_every = 10;
  s.events.set_total_steps(25);
  EXPECT_FALSE(s.events.log_due(9));
  EXPECT_TRUE(s.events.log_due(10));
  EXPECT_FALSE(s.events.log_due(24));
  EXPECT_TRUE(s.events.log_due(25));
}

TEST(EventSchedule, EvaluatesAtIntervalsOrAtEpochEnds) {
  Schedule s;
  s.cfg.train.eval_every = 0;
  EXPECT_TRUE(s.events.eval_due(7, /*epoch_ended=*/true));
  EXPECT_FALSE(s.events.eval_due(8, false));
  EXPECT_FALSE(s.events.final_eval_due(8));  // the last epoch's end evaluated already
  s.cfg.train.eval_every = 4;
  EXPECT_TRUE(s.events.eval_due(8, false));
  EXPECT_FALSE(s.events.eval_due(7, true));
  EXPECT_TRUE(s.events.final_eval_due(10));
  EXPECT_FALSE(s.events.final_eval_due(12));
}

TEST(EventSchedule, SavesAtIntervalsAndKnowsWhatIsSaved) {
  Schedule s;
  s.cfg.checkpoint.every_steps = 5;
  EXPECT_EQ(s.events.save_due(4), nullptr);
  EXPECT_STREQ(s.events.save_due(5), "interval");
  EXPECT_FALSE(s.events.saved_at(5));
  s.events.saved(5);
  EXPECT_TRUE(s.events.saved_at(5));
  s.events.resumed_at(7);
  EXPECT_TRUE(s.events.saved_at(7));
  s.cfg.checkpoint.every_steps = 0;
  s.cfg.checkpoint.every_minutes = 1e-3;  // 60 ms since the last save
  EXPECT_EQ(s.events.save_due(8), nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  EXPECT_STREQ(s.events.save_due(8), "timer");
}

TEST(EventSchedule, StopsOnTheTestHookOrASignalAndFinishesAtTheTotal) {
  reset_stop_request();
  Schedule s;
  s.opts.stop_after_step = 3;
  EXPECT_FALSE(s.events.stop_due(2));
  EXPECT_TRUE(s.events.stop_due(3));
  s.events.set_total_steps(4);
  TrainState state;
  state.step = 3;
  EXPECT_FALSE(s.events.finished(state));
  state.early_stopped = true;
  EXPECT_TRUE(s.events.finished(state));
  state.early_stopped = false;
  state.step = 4;
  EXPECT_TRUE(s.events.finished(state));
}

}  // namespace
}  // namespace berth::trainer
