#include "run_directory/run_layout.h"

namespace berth::run_directory {

namespace fs = std::filesystem;

RunLayout::RunLayout(fs::path root, const std::string& checkpoint_dir)
    : root_(std::move(root)),
      checkpoints_(checkpoint_dir.empty() ? root_ / "checkpoints" : fs::path(checkpoint_dir)) {}

fs::path RunLayout::rank_log(int rank) const {
  return logs() / ("rank-" + std::to_string(rank) + ".log");
}

fs::path RunLayout::profile(int64_t step, int rank) const {
  return root_ /
         ("profile-step-" + std::to_string(step) + "-rank-" + std::to_string(rank) + ".json");
}

}  // namespace berth::run_directory
