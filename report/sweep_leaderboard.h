// `berth report SWEEP_DIR`: the trials of a sweep (sweep/sweep_plan.h) ranked by their best dev
// evaluation, read through the same run history as a single run's report, with each trial's
// state (sweep/trial_state.h) and the checkpoint to keep. As JSON (--json) and as a page of
// its own (the leaderboard and every trial's curves overlaid).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/choices.h"
#include "report/run_history.h"
#include "sweep/trial_state.h"

namespace berth::report {

struct TrialRow {
  std::string trial;                // trial-000, ...
  std::vector<std::string> values;  // the swept values (TOML text), in Leaderboard::keys order
  sweep::TrialStatus status;
  double best_dev = NAN;       // train.metric at its best dev evaluation; NaN without one
  int64_t best_step = -1;      // the step of that evaluation
  std::optional<double> test;  // train.metric of the test record, when evaluated
  double wall_s = 0;           // the sum of its processes' lifetimes
  std::string checkpoint;      // its best checkpoint (else its newest); "" when none
  RunHistory history;          // for the curves
};

struct Leaderboard {
  std::filesystem::path dir;
  std::vector<std::string> keys;  // the swept config keys
  Metric metric = Metric::kAccuracy;
  std::vector<TrialRow> rows;  // best first; trials without a dev evaluation last, in plan order
  // The best trial (rows[0]) when it has a dev evaluation.
  const TrialRow* best() const;
};

// Throws berth::Error (data) when `sweep_dir` has no sweep.toml.
Leaderboard read_leaderboard(const std::filesystem::path& sweep_dir);
bool is_sweep_dir(const std::filesystem::path& dir);

nlohmann::json to_json(const Leaderboard& board);
// A self-contained HTML page: the leaderboard, the dev metric and the training loss of every
// trial overlaid, the best trial's checkpoint.
std::string render_sweep_report(const Leaderboard& board);
// The leaderboard as plain text for a terminal.
std::string leaderboard_text(const Leaderboard& board);

}  // namespace berth::report
