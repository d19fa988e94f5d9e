// Where a run stands, saved in every checkpoint (trainer_state.json) and restored on resume.
// Position in the data is samples consumed in the current epoch, so a resume seeks to it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "trainer/loss_scale_state.h"

namespace berth::trainer {

struct TrainState {
  int64_t step = 0;      // optimizer steps done
  int64_t epoch = 0;     // current epoch, 0-based
  int64_t position = 0;  // samples of the current epoch consumed (over all ranks)
  int64_t samples_seen = 0;
  int64_t world_size = 1;  // of the run that wrote the state
  std::optional<double> best_metric;
  int64_t best_step = -1;
  int64_t evals_without_improvement = 0;
  bool early_stopped = false;
  double train_seconds = 0;  // time spent in training steps only (for the ETA)
  int64_t restarts = 0;      // how many times this run was resumed
  LossScaleState scaler{65536.0, 0, 0};
  std::string config_hash;
  // EpochPlan::kOrderVersion of the build that wrote the state (1: before the field existed).
  int epoch_order_version = 1;
  // Dev metric per checkpointed step, for retention's "best M".
  std::map<int64_t, std::optional<double>> checkpoint_metrics;

  nlohmann::json to_json() const;
  static TrainState from_json(const nlohmann::json& j, const std::string& source);
  // The text of a trainer_state.json (untrusted: fuzzed by fuzz/fuzz_train_state.cpp): the state,
  // or a berth::model_error naming `source`.
  static TrainState parse(const std::string& text, const std::string& source);
};

}  // namespace berth::trainer
