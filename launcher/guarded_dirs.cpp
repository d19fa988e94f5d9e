#include "launcher/guarded_dirs.h"

#include <filesystem>

#include "checkpoint/layout.h"

namespace berth::launcher {

namespace fs = std::filesystem;

namespace {
constexpr const char* kCheckpointsDir = "checkpoints";
}  // namespace

const char* const* run_dir_entries() {
  // trainer: metrics.jsonl, logs/rank-R.log, tensorboard/; checkpoint/run_lock: .berth.lock;
  // `berth report`: report.html. Null-terminated.
  static const char* const entries[] = {"metrics.jsonl", "logs",        "tensorboard",
                                        ".berth.lock",   "report.html", nullptr};
  return entries;
}

void guard_checkpoint(OutputGuard& guard, const std::string& dir, const std::string& option) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    guard.protect(dir, option);  // a missing one is refused later, by its own check
    return;
  }
  if (fs::exists(fs::path(dir) / checkpoint::kManifestName, ec))
    guard.seal(dir, "the checkpoint " + option);
  else
    guard.protect(dir, option);
  const fs::path step = fs::canonical(dir, ec);
  if (ec || !checkpoint::parse_step_dir_name(step.filename().string())) return;
  const fs::path root = step.parent_path();
  guard.seal(root.string(), "the checkpoint root");
  if (root.filename() == kCheckpointsDir && fs::exists(root.parent_path() / "metrics.jsonl", ec))
    guard_run_dir(guard, root.parent_path().string(), root.string());
}

void guard_run_dir(OutputGuard& guard, const std::string& run_dir, const std::string& checkpoints) {
  for (const char* const* e = run_dir_entries(); *e != nullptr; ++e)
    guard.protect((fs::path(run_dir) / *e).string(), "the run's");
  guard.seal(checkpoints.empty() ? (fs::path(run_dir) / kCheckpointsDir).string() : checkpoints,
             "the checkpoint root");
}

}  // namespace berth::launcher
