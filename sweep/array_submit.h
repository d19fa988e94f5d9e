// `berth sweep --mode print|submit`: the trials as one Slurm job array of slurm/sweep.sbatch,
// task i training trial-<i> through slurm/train.sbatch (its launcher, stop signal and requeue).
// Only trials not done yet are in the array, so a resubmitted sweep never reruns a finished one.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/choices.h"

namespace berth::sweep {

enum class SweepMode { kLocal, kPrint, kSubmit };

struct ArrayOptions {
  std::string script;                    // slurm/sweep.sbatch
  std::string berth;                     // the berth executable the tasks run
  int max_concurrent = 0;                // --array's %K; 0 = Slurm's own limit
  std::vector<std::string> sbatch_args;  // more sbatch options, before the script
};

// "0-3", "1,3,5-7", with "%K" when max_concurrent > 0.
std::string array_spec(const std::vector<int>& indexes, int max_concurrent);

// The sbatch command line, one word per element.
std::vector<std::string> sbatch_command(const std::filesystem::path& sweep_dir,
                                        const std::vector<int>& indexes, const ArrayOptions& o);

// The words joined for a POSIX shell, each quoted where it needs it.
std::string shell_join(const std::vector<std::string>& words);

}  // namespace berth::sweep

namespace berth {
template <>
struct ChoiceNames<sweep::SweepMode> {
  static constexpr std::array<const char*, 3> names{"local", "print", "submit"};
};
}  // namespace berth
