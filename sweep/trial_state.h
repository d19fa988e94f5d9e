// Where a trial stands, read from its run directory alone, so that the local runner, the Slurm
// array task and `berth report` agree without a database:
//   done         metrics.jsonl's last lifecycle record is "done": never run again
//   failed       its last process exited with an error (<trial>/exit-code): reported, retried
//                by the next `berth sweep`
//   interrupted  it started (a "start" record) but did not finish: stopped by a signal,
//                preempted, or killed; `berth train --resume auto` goes on from its checkpoint
//   pending      nothing ran yet
#pragma once

#include <filesystem>
#include <string>

#include "common/choices.h"

namespace berth::sweep {

enum class TrialState { kPending, kInterrupted, kDone, kFailed };
// What a sweep does with a trial in each state.
enum class TrialAction { kStart, kResume, kSkip, kRetry };

struct TrialStatus {
  TrialState state = TrialState::kPending;
  int exit_code = 0;     // kFailed: the exit code of `berth train`
  std::string log_tail;  // kFailed: the last lines of train.log
};

TrialStatus read_trial_status(const std::filesystem::path& trial_dir);
TrialAction next_action(TrialState state);

// The exit code of a trial's `berth train`: 0 and 75 (stopped with a checkpoint) leave no record;
// any other is written to <trial>/exit-code.
void record_exit(const std::filesystem::path& trial_dir, int exit_code);
// Before a trial runs again: its previous failure no longer describes it.
void clear_exit(const std::filesystem::path& trial_dir);

inline std::filesystem::path trial_log(const std::filesystem::path& trial_dir) {
  return trial_dir / "train.log";
}

}  // namespace berth::sweep

namespace berth {
template <>
struct ChoiceNames<sweep::TrialState> {
  static constexpr std::array<const char*, 4> names{"pending", "interrupted", "done", "failed"};
};
}  // namespace berth
