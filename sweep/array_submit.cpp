#include "sweep/array_submit.h"

namespace berth::sweep {
namespace fs = std::filesystem;

std::string array_spec(const std::vector<int>& indexes, int max_concurrent) {
  std::string out;
  for (size_t i = 0; i < indexes.size();) {
    size_t j = i;
    while (j + 1 < indexes.size() && indexes[j + 1] == indexes[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(indexes[i]);
    if (j > i) out += "-" + std::to_string(indexes[j]);
    i = j + 1;
  }
  if (max_concurrent > 0) out += "%" + std::to_string(max_concurrent);
  return out;
}

std::vector<std::string> sbatch_command(const fs::path& sweep_dir, const std::vector<int>& indexes,
                                        const ArrayOptions& o) {
  const auto dir = fs::absolute(sweep_dir).lexically_normal();
  const auto script = fs::absolute(o.script).lexically_normal();
  // train.sbatch beside sweep.sbatch: Slurm runs a copy of the batch script from its spool
  // directory, where the task could not find its sibling by its own path.
  const auto train_script = script.parent_path() / "train.sbatch";
  std::vector<std::string> cmd{"sbatch",
                               "--parsable",
                               "--array=" + array_spec(indexes, o.max_concurrent),
                               "--job-name=berth-sweep",
                               "--output=" + (dir / "slurm-%A_%a.out").string(),
                               "--export=ALL,SWEEP_DIR=" + dir.string() + ",BERTH=" + o.berth +
                                   ",TRAIN_SBATCH=" + train_script.string()};
  cmd.insert(cmd.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  cmd.push_back(script.string());
  return cmd;
}

std::string shell_join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += " ";
    const bool plain = !w.empty() && w.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_./=,%:@+") == std::string::npos;
    if (plain) {
      out += w;
      continue;
    }
    out += "'";
    for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += "'";
  }
  return out;
}

}  // namespace berth::sweep
