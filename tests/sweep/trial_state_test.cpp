// Where a trial stands, from its run directory: nothing yet, started and cut off (resumed, never
// restarted), done (never rerun), failed (exit code and log tail kept; retried by a rerun).
#include "sweep/trial_state.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace berth::sweep {
namespace {

std::string rec(const std::string& type, int step) {
  return "{\"type\":\"" + type + "\",\"step\":" + std::to_string(step) +
         ",\"time\":1.0,\"schema\":2}\n";
}

TEST(TrialState, FromTheRunDirectory) {
  test::TempDir dir;
  const auto t = dir.path();
  EXPECT_EQ(read_trial_status(t).state, TrialState::kPending);
  EXPECT_EQ(next_action(TrialState::kPending), TrialAction::kStart);

  test::write_file(t / "metrics.jsonl", rec("start", 0) + rec("train", 1) + rec("stopped", 4));
  EXPECT_EQ(read_trial_status(t).state, TrialState::kInterrupted);  // preempted: resume
  EXPECT_EQ(next_action(TrialState::kInterrupted), TrialAction::kResume);

  // Killed without a record (a crash after its resume): still resumable.
  test::write_file(t / "metrics.jsonl",
                   rec("start", 0) + rec("stopped", 4) + rec("resume", 4) + rec("train", 5));
  EXPECT_EQ(read_trial_status(t).state, TrialState::kInterrupted);

  test::write_file(t / "metrics.jsonl", rec("start", 0) + rec("stopped", 4) + rec("resume", 4) +
                                            rec("train", 8) + rec("done", 8) + "{torn");
  EXPECT_EQ(read_trial_status(t).state, TrialState::kDone);
  EXPECT_EQ(next_action(TrialState::kDone), TrialAction::kSkip);
  record_exit(t, 3);  // a done run stays done whatever a later process did
  EXPECT_EQ(read_trial_status(t).state, TrialState::kDone);
}

TEST(TrialState, FailureKeepsTheExitCodeAndLogTailUntilRetried) {
  test::TempDir dir;
  const auto t = dir.path();
  std::string log;
  for (int i = 0; i < 40; ++i) log += "line " + std::to_string(i) + "\n";
  test::write_file(trial_log(t), log + "error [data] cannot read train.csv\n");
  record_exit(t, 0);  // success and a stop with a checkpoint leave no failure
  record_exit(t, 75);
  EXPECT_EQ(read_trial_status(t).state, TrialState::kPending);
  record_exit(t, 3);
  auto s = read_trial_status(t);
  EXPECT_EQ(s.state, TrialState::kFailed);
  EXPECT_EQ(s.exit_code, 3);
  EXPECT_NE(s.log_tail.find("cannot read train.csv"), std::string::npos);
  EXPECT_EQ(s.log_tail.find("line 10\n"), std::string::npos) << "only the tail";
  EXPECT_EQ(next_action(TrialState::kFailed), TrialAction::kRetry);
  clear_exit(t);
  EXPECT_EQ(read_trial_status(t).state, TrialState::kPending);
}

}  // namespace
}  // namespace berth::sweep
