// `berth sweep --mode local`: the trials one after another, each as its own `berth train`
// process (a crash or an error in one trial cannot take the sweep down), its output appended to
// <trial>/train.log. A done trial is skipped, an interrupted one resumes from its checkpoint
// (--resume auto), a failed one is recorded and the sweep goes on. A stop signal (INT, TERM,
// USR1) is passed to the running trial, which stops with a checkpoint; the sweep then ends
// without starting the next trial, and a rerun continues.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sweep/sweep_plan.h"
#include "sweep/trial_state.h"

namespace berth::sweep {

struct TrialOutcome {
  std::string name;
  TrialAction action = TrialAction::kStart;  // what this sweep did with it
  TrialStatus status;                        // where it stands afterwards
};

struct SweepOutcome {
  std::vector<TrialOutcome> trials;
  bool stopped = false;  // a signal ended the sweep before every trial ran
  // The exit code of the first failed trial; else 75 when a trial is left unfinished (a stop
  // signal: rerun to resume); else 0 (every trial done).
  int exit_code() const;
};

SweepOutcome run_local(const Plan& plan, const std::filesystem::path& dir,
                       const std::string& berth_binary);

// The summary `berth sweep` prints: one line per trial, failed trials' log tails after.
std::string summary(const SweepOutcome& outcome);

}  // namespace berth::sweep

namespace berth {
template <>
struct ChoiceNames<sweep::TrialAction> {
  static constexpr std::array<const char*, 4> names{"started", "resumed", "skipped (done)",
                                                    "retried"};
};
}  // namespace berth
