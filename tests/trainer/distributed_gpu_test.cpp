// `berth train` and `berth predict` on CUDA: one process on the GPU against the CPU (fp32 losses,
// bf16/fp16 tracking fp32, resume after a stop, predictions); over NCCL under mpirun: one rank
// through the NCCL communicator against the CPU, two ranks (two GPUs) against one rank with twice
// the batch, and a stalled rank timing out. Skipped where no GPU is visible (CTest label "gpu").
// bench/gpu_check.sh runs this binary on a GPU machine with the paths given by environment.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/test_support.h"
#include "trainer/adamw.h"

namespace berth::test {
namespace {

std::string make_csv(int rows) {
  const char* words[3][4] = {{"sunny", "bright", "warm", "beach"},
                             {"rain", "storm", "cold", "snow"},
                             {"code", "compile", "linker", "kernel"}};
  std::string s = "text,label\n";
  for (int i = 0; i < rows; ++i) {
    std::string text;
    for (int w = 0; w < 3 + (i * 5) % 7; ++w)
      text += std::string(w ? " " : "") + words[i % 3][(i + w) % 4];
    s += "\"" + text + "\",c" + std::to_string(i % 3) + "\n";
  }
  return s;
}

class DistributedGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    run_python("make_tiny_model.py '" + (dir_ / "tiny").string() + "' '" +
               default_model().string() + "' 3 0.0");
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
                       env_or("BERTH_MPIRUN", BERTH_MPIRUN) + "' -np " + std::to_string(np) +
                       " --oversubscribe --bind-to none " + cmd);
  }

  std::map<int64_t, double> losses(const std::string& run) { return train_losses(dir_ / run); }
  // Both runs logged all `steps` steps, with losses within `tol` of each other.
  void expect_losses_near(const std::string& ref, const std::string& run, double tol,
                          size_t steps = 6) {
    auto a = losses(ref), b = losses(run);
    ASSERT_EQ(a.size(), steps) << ref;
    ASSERT_EQ(b.size(), steps) << run;
    for (size_t s = 1; s <= steps; ++s) EXPECT_NEAR(a[s], b[s], tol) << run << " step " << s;
  }
  // Steps a run replayed from CUDA graphs (its "done" record; 0 when absent).
  int64_t graph_replays(const std::string& run) {
    auto done = metrics_records(dir_ / run, "done");
    if (done.empty() || !done.back().contains("graph_replays")) return 0;
    return done.back()["graph_replays"].get<int64_t>();
  }
  std::filesystem::path step_dir(const std::string& run, int step) {
    return checkpoint_step_dir(dir_ / run, step);
  }

  TempDir dir_;
};

TEST_F(DistributedGpu, OneProcessOnCudaMatchesTheCpu) {
  auto cpu = train(0, "cpu", "");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  auto gpu = train(0, "cuda", "--set runtime.device=\"cuda\"");
  ASSERT_EQ(gpu.exit_code, 0) << gpu.err;
  // Different kernels (cuBLAS, TF32 off): fp32 rounding differences only.
  expect_losses_near("cpu", "cuda", 1e-4);
  auto a = losses("cpu");
  EXPECT_GT(std::abs(a[1] - a[6]), 1e-3) << "the loss never moved: the test proves nothing";
}

TEST_F(DistributedGpu, MixedPrecisionOnCudaTracksFp32) {
  auto fp32 = train(0, "fp32", "--set runtime.device=\"cuda\"");
  ASSERT_EQ(fp32.exit_code, 0) << fp32.err;
  for (std::string p : {"bf16", "fp16"}) {
    auto r = train(0, p, "--set runtime.device=\"cuda\" --set train.precision=\"" + p + "\"");
    ASSERT_EQ(r.exit_code, 0) << p << "\n" << r.err;
    expect_losses_near("fp32", p, 0.02);
    if (p == "fp16") {
      auto all = read_file(dir_ / p / "metrics.jsonl");
      EXPECT_NE(all.find("\"loss_scale\":65536"), std::string::npos) << "fp16 logs its loss scale";
    }
  }
}

TEST_F(DistributedGpu, ResumeOnCudaIsExact) {
  const std::string args = "--set runtime.device=\"cuda\" --set checkpoint.keep_last=2";
  auto full = train(0, "full", args);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  auto first = train(0, "stopped", args + " --stop-after-step 3");
  ASSERT_EQ(first.exit_code, 75) << first.err;
  auto second = train(0, "stopped", args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("resumed from"), std::string::npos) << second.err;
  auto a = losses("full"), b = losses("stopped");
  ASSERT_EQ(b.size(), 6u);
  for (int s = 1; s <= 6; ++s) EXPECT_EQ(a[s], b[s]) << "step " << s;  // bitwise
  EXPECT_EQ(read_file(step_dir("full", 6) / "model.safetensors"),
            read_file(step_dir("stopped", 6) / "model.safetensors"));
}

// Captured steps compute what eager steps compute: 20 steps with graphs (lengths rounded up to
// 16, replayed after 2 warm-up steps) against 20 eager steps without padding rounding.
TEST_F(DistributedGpu, CudaGraphsMatchEagerOverTwentySteps) {
  const std::string args = "--set runtime.device=\"cuda\" --set train.max_steps=20";
  auto eager = train(0, "eager", args + " --set runtime.cuda_graphs=false");
  ASSERT_EQ(eager.exit_code, 0) << eager.err;
  auto graphs = train(0, "graphs", args);
  ASSERT_EQ(graphs.exit_code, 0) << graphs.err;
  EXPECT_EQ(graph_replays("eager"), 0);
  EXPECT_GE(graph_replays("graphs"), 10) << graphs.err;
  expect_losses_near("eager", "graphs", 1e-4, 20);
  auto a = losses("eager");
  EXPECT_GT(std::abs(a[1] - a[20]), 1e-3) << "the loss never moved: the test proves nothing";
}

// Resume with graphs on, dropout on and bf16: the resumed process warms its shapes up eagerly
// where the uninterrupted one replayed, and the two still agree bit for bit.
TEST_F(DistributedGpu, ResumeWithCudaGraphsIsExact) {
  run_python("make_tiny_model.py '" + (dir_ / "tiny-dropout").string() + "' '" +
             default_model().string() + "' 3 0.1");
  const std::string args =
      "--set runtime.device=\"cuda\" --set train.max_steps=20 "
      "--set train.precision=\"bf16\" --set checkpoint.keep_last=2 "
      "--set model.path=\"" +
      (dir_ / "tiny-dropout").string() + "\"";
  auto full = train(0, "g-full", args);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  auto first = train(0, "g-stopped", args + " --stop-after-step 9");
  ASSERT_EQ(first.exit_code, 75) << first.err;
  auto second = train(0, "g-stopped", args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_GE(graph_replays("g-full"), 10);
  EXPECT_GE(graph_replays("g-stopped"), 5);  // the resumed process's own replays
  auto a = losses("g-full"), b = losses("g-stopped");
  ASSERT_EQ(a.size(), 20u);
  ASSERT_EQ(b.size(), 20u);
  for (int s = 1; s <= 20; ++s) EXPECT_EQ(a[s], b[s]) << "step " << s;  // bitwise
  EXPECT_EQ(read_file(step_dir("g-full", 20) / "model.safetensors"),
            read_file(step_dir("g-stopped", 20) / "model.safetensors"));
  EXPECT_EQ(read_file(step_dir("g-full", 20) / "optimizer.safetensors"),
            read_file(step_dir("g-stopped", 20) / "optimizer.safetensors"));
}

// The fused AdamW kernel on CUDA against the multi-tensor update Berth used before, within 1e-6.
TEST(FusedAdamWOnCuda, MatchesTheMultiTensorUpdate) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  at::manual_seed(11);
  auto cuda = at::TensorOptions().device(at::kCUDA);
  std::vector<at::Tensor> init = {at::randn({64, 48}).to(at::kCUDA), at::randn({48}).to(at::kCUDA),
                                  at::randn({48}).to(at::kCUDA)};
  const char* names[] = {"dense.weight", "dense.bias", "LayerNorm.weight"};
  std::vector<at::Tensor> grads;
  for (int k = 0; k < 5; ++k)
    for (auto& t : init) grads.push_back(at::randn(t.sizes(), cuda));
  std::vector<std::vector<at::Tensor>> result;
  for (bool fused : {false, true}) {
    std::vector<trainer::NamedParameter> params;
    for (size_t i = 0; i < init.size(); ++i)
      params.push_back({names[i], init[i].clone().set_requires_grad(true)});
    trainer::AdamWOptions o;
    o.multi_tensor = 1;
    o.fused = fused;
    trainer::AdamW opt(params, o);
    for (int k = 0; k < 5; ++k) {
      for (size_t i = 0; i < params.size(); ++i)
        params[i].tensor.mutable_grad() = grads[k * init.size() + i];
      opt.step(2e-2 * (k + 1));
    }
    EXPECT_EQ(opt.steps_taken(), 5);
    std::vector<at::Tensor> out;
    for (auto& p : params) out.push_back(p.tensor.detach());
    result.push_back(out);
  }
  for (size_t i = 0; i < init.size(); ++i) {
    EXPECT_LE((result[0][i] - result[1][i]).abs().max().item<double>(), 1e-6) << names[i];
    EXPECT_GT((result[1][i] - init[i]).abs().max().item<double>(), 1e-2) << names[i];
  }
}

TEST_F(DistributedGpu, PredictOnCudaMatchesTheCpu) {
  auto trained = train(0, "trained", "--set runtime.device=\"cuda\" --set checkpoint.keep_last=1");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  std::string ckpt = step_dir("trained", 6).string();
  std::string input = (dir_ / "train.csv").string();
  auto predict = [&](const std::string& device) {
    auto out = dir_ / ("pred-" + device + ".jsonl");
    auto r = run_command("'" + berth_binary() + "' predict --checkpoint '" + ckpt + "' --input '" +
                         input + "' --output '" + out.string() + "' --device " + device);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_file(out);
  };
  auto cpu = predict("cpu"), gpu = predict("cuda");
  std::istringstream a(cpu), b(gpu);
  std::string la, lb;
  int rows = 0;
  while (std::getline(a, la) && std::getline(b, lb)) {
    auto ja = nlohmann::json::parse(la), jb = nlohmann::json::parse(lb);
    EXPECT_EQ(ja["row"], jb["row"]);
    EXPECT_EQ(ja["label"], jb["label"]) << "row " << rows;
    ASSERT_EQ(ja["probs"].size(), 3u);
    for (auto& [name, p] : ja["probs"].items())
      EXPECT_NEAR(p.get<double>(), jb["probs"][name].get<double>(), 1e-4) << "row " << rows;
    ++rows;
  }
  EXPECT_EQ(rows, 48);
}

TEST_F(DistributedGpu, OneRankOverNcclMatchesTheCpu) {
  auto cpu = train(0, "cpu", "");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  auto gpu = train(1, "nccl1", "--set runtime.device=\"cuda\"");
  ASSERT_EQ(gpu.exit_code, 0) << gpu.err;
  EXPECT_NE(gpu.err.find("via nccl"), std::string::npos) << gpu.err;
  expect_losses_near("cpu", "nccl1", 1e-4);
}

TEST_F(DistributedGpu, TwoRanksOverNcclEqualOneRankWithTwiceTheBatch) {
  if (torch::cuda::device_count() < 2) GTEST_SKIP() << "needs two GPUs (NCCL: one rank per GPU)";
  auto one = train(0, "one", "--set runtime.device=\"cuda\" --set data.batch_size=8");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto two = train(2, "two", "--set runtime.device=\"cuda\"");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  expect_losses_near("one", "two", 1e-4);
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
