// The checkpoints on disk under a checkpoint root, each verified against its manifest (sizes and
// SHA-256 of every file), with the latest and best pointers: what a report lists.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace berth::report {

struct CheckpointEntry {
  int64_t step = 0;
  std::string name;    // step-XXXXXXXX
  std::string reason;  // why it was written (manifest metadata), if recorded
  uint64_t bytes = 0;
  bool verified = false;
  std::string problem;  // why it does not verify
  bool latest = false, best = false;
};

struct CheckpointInventory {
  std::filesystem::path root;
  std::vector<CheckpointEntry> entries;  // by step
  std::optional<int64_t> best_step;      // the best pointer's step
};

// Empty when `root` does not exist; `verify` = false reads manifests only (no hashing).
CheckpointInventory scan_checkpoints(const std::filesystem::path& root, bool verify = true);

}  // namespace berth::report
