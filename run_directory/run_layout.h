// The names inside a run directory (train.run_dir), in one place for the trainer that writes
// them and every reader:
//   metrics.jsonl           the records of every session (record.h)
//   tensorboard/            the same values as TensorBoard scalars
//   logs/rank-<R>.log       each rank's log
//   checkpoints/            checkpoint directories (checkpoint.dir may put them elsewhere)
//   profile-step-<N>-rank-<R>.json   train.profile_step's trace
//   report.html             `berth report`'s page
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace berth::run_directory {

class RunLayout {
 public:
  // `checkpoint_dir` empty: <root>/checkpoints (checkpoint.dir of the config, --checkpoints of
  // `berth report`).
  explicit RunLayout(std::filesystem::path root, const std::string& checkpoint_dir = "");

  const std::filesystem::path& root() const { return root_; }
  const std::filesystem::path& checkpoints() const { return checkpoints_; }
  std::filesystem::path metrics() const { return root_ / "metrics.jsonl"; }
  std::filesystem::path tensorboard() const { return root_ / "tensorboard"; }
  std::filesystem::path logs() const { return root_ / "logs"; }
  std::filesystem::path rank_log(int rank) const;
  std::filesystem::path profile(int64_t step, int rank) const;
  std::filesystem::path report() const { return root_ / "report.html"; }

 private:
  std::filesystem::path root_;
  std::filesystem::path checkpoints_;
};

}  // namespace berth::run_directory
