// Running under a batch scheduler (Slurm): which job and requeue this process belongs to, and
// whether the stop signal's lead time (BERTH_SIGNAL_LEAD_S, set by slurm/train.sbatch from its
// --signal=B:SIG@SECONDS) is long enough for one training step plus one checkpoint write.
// docs/slurm.md explains how these fit together.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace berth::trainer {

struct SchedulerInfo {
  std::string job_id;  // SLURM_JOB_ID, or "<array job>_<task>" for an array task; "" if none
  int64_t restart_count = -1;  // SLURM_RESTART_COUNT (0 on the first run of a job); -1 if unset
};

SchedulerInfo scheduler_info_from_env();

// BERTH_SIGNAL_LEAD_S as seconds; nullopt when unset or empty. A value that is not a
// non-negative number is a usage error naming the variable.
std::optional<double> signal_lead_from_env();

// What a stop costs: the longest step and the longest checkpoint write seen.
struct StopCost {
  double step_s = 0;
  double checkpoint_s = 0;
  bool known() const { return step_s > 0 && checkpoint_s > 0; }
};

// The stop cost recorded by the previous run in metrics.jsonl (its last checkpoint record that
// carries "step_s"); unknown (zeros) if the file or such a record is missing.
StopCost previous_stop_cost(const std::filesystem::path& metrics_path);

// A warning when `lead_s` cannot cover `cost` (one step plus one checkpoint write), else "".
std::string lead_time_warning(double lead_s, const StopCost& cost);

}  // namespace berth::trainer
