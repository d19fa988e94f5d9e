// A run's history as metrics.jsonl tells it, replayed as the trainer lived it: a "start" record
// begins the run afresh (earlier records belong to a discarded run), a "resume" record drops the
// points logged after the step it resumes from (steps the abandoned attempt did again). The same
// rule TensorBoard's curves follow (trainer/tensorboard_writer.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth::report {

struct TrainPoint {
  int64_t step = 0;
  int64_t epoch = 0;
  double loss = 0;  // mean over the logging window
  double lr = 0;
  double grad_norm = 0;  // NaN when not finite (fp16 overflow)
  double samples_per_s = 0;
  double tokens_per_s = 0;
  double time = 0;  // Unix seconds
};

// A dev evaluation: its curves (run_directory/curves.h) by name, whichever the trainer wrote.
struct EvalPoint {
  int64_t step = 0;
  int64_t epoch = 0;
  std::map<std::string, double> values;
  double time = 0;
  double value(const std::string& name) const;  // NaN when the record has no such curve
};

// One process of the run: a start or a resume, and how it ended.
struct Session {
  std::string kind;  // "start" or "resume"
  int64_t step = 0;
  double time = 0;
  int64_t restart = 0;
  int64_t world_size = 1;
  std::string resumed_from;
  std::string slurm_job;
  int64_t slurm_restart = -1;         // SLURM_RESTART_COUNT, -1 outside Slurm
  std::string ended = "interrupted";  // "stopped" (signal), "done", or no record (crash, kill)
  int64_t end_step = 0;               // the last step it logged
  double end_time = 0;
};

struct RunHistory {
  std::vector<TrainPoint> train;
  std::vector<EvalPoint> evals;
  std::vector<Session> sessions;
  std::optional<nlohmann::json> test;  // the last "test" record
  std::optional<nlohmann::json> done;  // the last "done" record
  int64_t total_steps = 0;             // of the last session
  int64_t bad_lines = 0;               // lines that are not JSON (a torn last line after a crash)
};

// Reads a run's metrics.jsonl (run_directory::RunLayout::metrics()); throws berth::Error (data)
// when it is missing.
RunHistory read_run_history(const std::filesystem::path& metrics_path);

}  // namespace berth::report
