// The job array sbatch gets: only the trials given (those not done), the concurrency limit, the
// scripts and berth by absolute path, words quoted for a shell.
#include "sweep/array_submit.h"

#include <gtest/gtest.h>

namespace berth::sweep {
namespace {

TEST(ArraySubmit, ArraySpecCompressesRunsAndAddsTheLimit) {
  EXPECT_EQ(array_spec({0, 1, 2, 3}, 2), "0-3%2");
  EXPECT_EQ(array_spec({1, 3, 5, 6, 7}, 0), "1,3,5-7");
  EXPECT_EQ(array_spec({4}, 0), "4");
}

TEST(ArraySubmit, CommandNamesTheSweepTheScriptsAndBerth) {
  ArrayOptions o{"/repo/slurm/sweep.sbatch", "/repo/build/berth", 3, {"--partition=gpu"}};
  const auto cmd = sbatch_command("/data/sweeps/lr", {0, 2, 3}, o);
  ASSERT_GE(cmd.size(), 4u);
  EXPECT_EQ(cmd.front(), "sbatch");
  EXPECT_EQ(cmd.back(), "/repo/slurm/sweep.sbatch");
  EXPECT_EQ(cmd[cmd.size() - 2], "--partition=gpu");
  const auto line = shell_join(cmd);
  EXPECT_NE(line.find("--array=0,2-3%3"), std::string::npos) << line;
  EXPECT_NE(line.find("SWEEP_DIR=/data/sweeps/lr,BERTH=/repo/build/berth,TRAIN_SBATCH=/repo/slurm/"
                      "train.sbatch"),
            std::string::npos)
      << line;
  EXPECT_EQ(shell_join({"a b", "it's"}), "'a b' 'it'\\''s'");
}

}  // namespace
}  // namespace berth::sweep
