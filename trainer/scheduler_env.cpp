#include "trainer/scheduler_env.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "common/error.h"
#include "run_directory/metrics_reader.h"

namespace berth::trainer {

namespace {
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
}  // namespace

SchedulerInfo scheduler_info_from_env() {
  SchedulerInfo s;
  s.job_id = env("SLURM_JOB_ID");
  // An array task is requeued (and known to squeue/sacct) by its array id, not its job id.
  auto array_job = env("SLURM_ARRAY_JOB_ID"), array_task = env("SLURM_ARRAY_TASK_ID");
  if (!array_job.empty() && !array_task.empty()) s.job_id = array_job + "_" + array_task;
  auto restarts = env("SLURM_RESTART_COUNT");
  if (!restarts.empty()) {
    char* end = nullptr;
    long long n = std::strtoll(restarts.c_str(), &end, 10);
    if (end && *end == '\0' && n >= 0) s.restart_count = n;
  } else if (!s.job_id.empty()) {
    s.restart_count = 0;  // Slurm sets SLURM_RESTART_COUNT only once a job has been requeued
  }
  return s;
}

std::optional<double> signal_lead_from_env() {
  auto v = env("BERTH_SIGNAL_LEAD_S");
  if (v.empty()) return std::nullopt;
  char* end = nullptr;
  double s = std::strtod(v.c_str(), &end);
  if (!end || *end != '\0' || !std::isfinite(s) || s < 0) {
    throw usage_error("scheduler", "BERTH_SIGNAL_LEAD_S is '" + v + "', not a number of seconds",
                      "set it to the SECONDS of Slurm's --signal=B:SIG@SECONDS, or unset it");
  }
  return s;
}

StopCost previous_stop_cost(const std::filesystem::path& metrics_path) {
  StopCost cost;
  run_directory::for_each_record(metrics_path, [&](const run_directory::Record& r) {
    if (r.type != run_directory::RecordType::kCheckpoint) return;
    const double step_s = r.number("step_s"), seconds = r.number("seconds");
    if (std::isnan(step_s) || std::isnan(seconds)) return;
    cost.step_s = step_s;
    cost.checkpoint_s = seconds;
  });
  return cost;
}

std::string lead_time_warning(double lead_s, const StopCost& cost) {
  double need = cost.step_s + cost.checkpoint_s;
  if (!cost.known() || lead_s >= need) return "";
  return fmt::format(
      "the stop signal comes {:g}s before the time limit (BERTH_SIGNAL_LEAD_S) but a stop "
      "needs up to {:.3g}s (a step takes up to {:.3g}s, a checkpoint write {:.3g}s): the job may "
      "be killed before its checkpoint is written; raise the lead time in --signal=B:SIG@SECONDS",
      lead_s, need, cost.step_s, cost.checkpoint_s);
}

}  // namespace berth::trainer
