// `berth train` over NCCL (runtime.device = cuda) under mpirun: one rank through the NCCL
// communicator against the CPU, two ranks (two GPUs) against one rank with twice the batch, and a
// stalled rank timing out. Skipped where no GPU is visible (CTest label "gpu").
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

std::string make_csv(int rows) {
  const char* words[3][4] = {{"sunny", "bright", "warm", "beach"},
                             {"rain", "storm", "cold", "snow"},
                             {"code", "compile", "linker", "kernel"}};
  std::string s = "text,label\n";
  for (int i = 0; i < rows; ++i) {
    std::string text;
    for (int w = 0; w < 3 + (i * 5) % 7; ++w) text += std::string(w ? " " : "") + words[i % 3][(i + w) % 4];
    s += "\"" + text + "\",c" + std::to_string(i % 3) + "\n";
  }
  return s;
}

class DistributedGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    run_python("make_tiny_model.py '" + (dir_ / "tiny").string() + "' '" + default_model().string() +
               "' 3 0.0");
    write_file(dir_ / "train.csv", make_csv(48));
  }

  std::string config(const std::string& run) {
    std::ostringstream c;
    c << "[model]\npath = '" << (dir_ / "tiny").string() << "'\n[data]\ntrain = '"
      << (dir_ / "train.csv").string() << "'\nbatch_size = 4\nmax_length = 32\n"
      << "length_bucketing = false\ncache_dir = '" << (dir_ / "cache").string() << "'\n"
      << "[optim]\nlr = 5e-3\nwarmup_steps = 2\n[train]\nmax_steps = 6\nlog_every = 1\n"
      << "seed = 7\nrun_dir = '" << (dir_ / run).string() << "'\n[checkpoint]\nkeep_last = 0\n"
      << "keep_best = 0\n[runtime]\nthreads = 1\n";
    auto path = dir_ / (run + ".toml");
    write_file(path, c.str());
    return path.string();
  }

  CommandResult train(int np, const std::string& run, const std::string& args) {
    std::string cmd = "'" + berth_binary() + "' train --config '" + config(run) + "' " + args;
    if (np == 0) return run_command(cmd);  // no MPI at all
    return run_command("env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 '" +
                       std::string(BERTH_MPIRUN) + "' -np " + std::to_string(np) +
                       " --oversubscribe --bind-to none " + cmd);
  }

  std::map<int64_t, double> losses(const std::string& run) { return train_losses(dir_ / run); }

  TempDir dir_;
};

TEST_F(DistributedGpu, OneRankOverNcclMatchesTheCpu) {
  auto cpu = train(0, "cpu", "");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  auto gpu = train(1, "nccl1", "--set runtime.device=\"cuda\"");
  ASSERT_EQ(gpu.exit_code, 0) << gpu.err;
  EXPECT_NE(gpu.err.find("via nccl"), std::string::npos) << gpu.err;
  auto a = losses("cpu"), b = losses("nccl1");
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  for (int s = 1; s <= 6; ++s) EXPECT_NEAR(a[s], b[s], 1e-4) << "step " << s;
}

TEST_F(DistributedGpu, TwoRanksOverNcclEqualOneRankWithTwiceTheBatch) {
  if (torch::cuda::device_count() < 2) GTEST_SKIP() << "needs two GPUs (NCCL: one rank per GPU)";
  auto one = train(0, "one", "--set runtime.device=\"cuda\" --set data.batch_size=8");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto two = train(2, "two", "--set runtime.device=\"cuda\"");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  auto a = losses("one"), b = losses("two");
  ASSERT_EQ(b.size(), 6u);
  for (int s = 1; s <= 6; ++s) EXPECT_NEAR(a[s], b[s], 1e-4) << "step " << s;
}

TEST_F(DistributedGpu, StalledRankOverNcclTimesOut) {
  if (torch::cuda::device_count() < 2) GTEST_SKIP() << "needs two GPUs";
  auto r = train(2, "hung",
                 "--set runtime.device=\"cuda\" --set runtime.comm_timeout_s=5 --set "
                 "train.max_steps=1000 --hang-rank 1 --hang-after-step 2");
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("did not complete within"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::test
