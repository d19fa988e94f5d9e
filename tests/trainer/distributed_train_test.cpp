// `berth train` under `mpirun -np 2` and `-np 3` on a tiny random BERT (CPU, MPI): N ranks with
// batch b against one rank with batch N*b (per-step losses and final weights), the shards each
// rank reads, exact resume, resume across world sizes, a stop request that reaches one rank,
// ranks that disagree on the config, an error on one rank, and stalled ranks under a short
// runtime.comm_timeout_s (the error must name the collective and the rank).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "distributed/communicator.h"
#include "model/safetensors.h"
#include "tests/support/test_support.h"
#include "trainer/tensorboard_writer.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class DistributedTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    run_python("make_tiny_model.py '" + (*dir_ / "tiny").string() + "' '" +
               default_model().string() + "' 3 0.0");
    run_python("make_tiny_model.py '" + (*dir_ / "tiny-dropout").string() + "' '" +
               default_model().string() + "' 3 0.1");
    // 60 rows: a 2-rank tail of 4 (2 + 2); 58 rows: a 3-rank tail of 10 (4 + 3 + 3).
    write_file(*dir_ / "train60.csv", learnable_csv(60));
    write_file(*dir_ / "train58.csv", learnable_csv(58));
  }
  static void TearDownTestSuite() { delete dir_; }

  // Batch order independent of lengths (length_bucketing = false) so that 1 x 2b and 2 x b see
  // the same examples in each step.
  std::string config(const std::string& run, const std::string& model = "tiny",
                     const std::string& csv = "train60.csv") {
    std::ostringstream c;
    c << "[model]\npath = '" << (*dir_ / model).string() << "'\n"
      << "[data]\ntrain = '" << (*dir_ / csv).string() << "'\n"
      << "batch_size = 4\nmax_length = 32\nlength_bucketing = false\ncache_dir = '"
      << (*dir_ / "cache").string() << "'\n"
      << "[optim]\nlr = 5e-3\nwarmup_steps = 2\nmax_grad_norm = 1.0\n"
      << "[train]\nmax_steps = 10\nlog_every = 1\nseed = 7\nrun_dir = '" << (*dir_ / run).string()
      << "'\n[checkpoint]\nkeep_last = 0\nkeep_best = 0\n"
      << "[runtime]\nthreads = 1\ncomm_timeout_s = 60\n";
    auto path = *dir_ / (run + ".toml");
    write_file(path, c.str());
    return path.string();
  }

  // `mpirun -np N berth train ...`; every rank carries a marker so that a test can find it.
  std::string mpirun(int np, const std::string& marker = "none") {
    return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 '" +
           std::string(BERTH_MPIRUN) + "' -np " + std::to_string(np) +
           " --oversubscribe --bind-to none -x BERTH_TEST_JOB=" + marker + " ";
  }
  std::string berth_train(const std::string& cfg, const std::string& args = "") {
    return "'" + berth_binary() + "' train --config '" + cfg + "' " + args;
  }
  CommandResult train(int np, const std::string& cfg, const std::string& args = "") {
    if (np == 1) return run_command(berth_train(cfg, args));
    return run_command(mpirun(np) + berth_train(cfg, args));
  }

  std::map<int64_t, double> losses(const std::string& run) { return train_losses(*dir_ / run); }

  fs::path step_dir(const std::string& run, int step) {
    return checkpoint_step_dir(*dir_ / run, step);
  }

  // Largest |a - b| over all tensors of two model.safetensors files.
  double max_weight_difference(const fs::path& a, const fs::path& b) {
    model::SafetensorsFile fa(a.string()), fb(b.string());
    EXPECT_EQ(fa.entries().size(), fb.entries().size());
    double worst = 0;
    for (const auto& e : fa.entries()) {
      if (!fb.contains(e.name)) {
        ADD_FAILURE() << e.name << " missing from " << b;
        continue;
      }
      worst = std::max(worst, (fa.load(e.name) - fb.load(e.name)).abs().max().item<double>());
    }
    return worst;
  }

  // N ranks with batch 4 against one rank with batch 4N, `steps` optimizer steps.
  void expect_equivalent(int np, const std::string& csv, int accum, int steps) {
    std::string tag = std::to_string(np) + "-" + std::to_string(accum);
    std::string extra = "--set train.max_steps=" + std::to_string(steps) +
                        " --set optim.grad_accum=" + std::to_string(accum);
    auto one = train(1, config("one-" + tag, "tiny", csv),
                     extra + " --set data.batch_size=" + std::to_string(4 * np));
    ASSERT_EQ(one.exit_code, 0) << one.err;
    auto many = train(np, config("many-" + tag, "tiny", csv), extra);
    ASSERT_EQ(many.exit_code, 0) << many.err;
    EXPECT_NE(many.err.find(std::to_string(np) + " rank(s) via mpi"), std::string::npos)
        << many.err;

    auto a = losses("one-" + tag), b = losses("many-" + tag);
    ASSERT_EQ(a.size(), static_cast<size_t>(steps));
    ASSERT_EQ(b.size(), static_cast<size_t>(steps));
    for (int s = 1; s <= steps; ++s) EXPECT_NEAR(a[s], b[s], 1e-5) << tag << " step " << s;
    EXPECT_GT(std::abs(a[1] - a[steps]), 1e-3) << "the loss never moved: the test proves nothing";
    EXPECT_LT(max_weight_difference(step_dir("one-" + tag, steps) / "model.safetensors",
                                    step_dir("many-" + tag, steps) / "model.safetensors"),
              1e-5)
        << tag;
  }

  static TempDir* dir_;
};

TempDir* DistributedTrain::dir_ = nullptr;

// 60 rows, global batch 8: 7 full micro-steps and a tail of 4 an epoch; 10 steps cross it.
TEST_F(DistributedTrain, TwoRanksEqualOneRankWithTwiceTheBatch) {
  expect_equivalent(2, "train60.csv", 1, 10);
  // Rank 0's TensorBoard curves include the share of time spent waiting for other ranks.
  auto count = [&](const std::string& run) {
    int n = 0;
    for (const auto& s : trainer::TensorBoardWriter::read_dir(*dir_ / run / "tensorboard"))
      n += s.tag == "train/comm_wait_fraction" && s.value >= 0 && s.value <= 1;
    return n;
  };
  EXPECT_EQ(count("many-2-1"), 10);  // log_every = 1
  EXPECT_EQ(count("one-2-1"), 0);
}

TEST_F(DistributedTrain, TwoRanksEqualOneRankWithGradientAccumulation) {
  expect_equivalent(2, "train60.csv", 2, 6);
}

// 58 rows, global batch 12: 4 full micro-steps and a tail of 10 dealt 4 + 3 + 3.
TEST_F(DistributedTrain, ThreeRanksEqualOneRankWithThriceTheBatch) {
  expect_equivalent(3, "train58.csv", 1, 7);
}

// A train and a dev CSV on a cold cache: rank 0 preps both while the others wait (the dev
// corpus's cache key must not need the training corpus's file, which the others do not have
// yet), and evaluation split over the ranks counts every dev example once: 17 rows, uneven
// slices over 3 ranks, give the metrics of one rank with the same weights.
TEST_F(DistributedTrain, ColdCacheDevEvaluationMatchesOneRank) {
  write_file(*dir_ / "dev17.csv", learnable_csv(17));
  auto extra = [&](const std::string& run, int batch) {
    return "--set \"data.dev='" + (*dir_ / "dev17.csv").string() + "'\" --set \"data.cache_dir='" +
           (*dir_ / ("cache-" + run)).string() + "'\" --set train.eval_every=5 " +
           "--set train.max_steps=10 --set data.batch_size=" + std::to_string(batch);
  };
  auto one = train(1, config("eval-one"), extra("eval-one", 12));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto three = train(3, config("eval-three"), extra("eval-three", 4));
  ASSERT_EQ(three.exit_code, 0) << three.err;

  auto a = metrics_records(*dir_ / "eval-one", "eval");
  auto b = metrics_records(*dir_ / "eval-three", "eval");
  ASSERT_EQ(a.size(), 2u);  // steps 5 and 10
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i].at("step"), a[i].at("step"));
    // 60 rows, 12 a step: steps 5 and 10 end epochs 1 and 2.
    EXPECT_EQ(a[i].at("epoch").get<int64_t>(), static_cast<int64_t>(i + 1)) << a[i];
    EXPECT_EQ(b[i].at("epoch").get<int64_t>(), static_cast<int64_t>(i + 1)) << b[i];
    EXPECT_EQ(a[i].at("examples").get<int64_t>(), 17);
    EXPECT_EQ(b[i].at("examples").get<int64_t>(), 17) << "each dev example counted once";
    EXPECT_NEAR(b[i].at("loss").get<double>(), a[i].at("loss").get<double>(), 1e-5);
    EXPECT_EQ(b[i].at("accuracy"), a[i].at("accuracy"));
    EXPECT_EQ(b[i].at("macro_f1"), a[i].at("macro_f1"));
  }
  EXPECT_NE(a[0].at("loss"), a[1].at("loss")) << "the model never changed: the test proves nothing";
}

TEST_F(DistributedTrain, RanksReadDisjointShardsCoveringTheEpoch) {
  for (int np : {2, 3}) {
    std::string run = "shards-" + std::to_string(np);
    auto trace = (*dir_ / (run + ".trace")).string();
    // One epoch: 60 rows are 8 micro-steps for 2 ranks, 58 rows 5 for 3 ranks.
    auto csv = np == 2 ? "train60.csv" : "train58.csv";
    int steps = np == 2 ? 8 : 5;
    auto r = train(
        np, config(run, "tiny", csv),
        "--set train.max_steps=" + std::to_string(steps) + " --trace-batches '" + trace + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::multiset<int64_t> all;
    size_t lines0 = 0;
    for (int rank = 0; rank < np; ++rank) {
      std::ifstream f(trace + "." + std::to_string(rank));
      ASSERT_TRUE(f) << "no trace from rank " << rank;
      std::string line;
      size_t lines = 0;
      while (std::getline(f, line)) {
        auto batch = nlohmann::json::parse(line).get<std::vector<int64_t>>();
        EXPECT_FALSE(batch.empty()) << "rank " << rank << " got an empty micro-batch";
        all.insert(batch.begin(), batch.end());
        ++lines;
      }
      if (rank == 0) lines0 = lines;
      EXPECT_EQ(lines, lines0) << "rank " << rank << " ran another number of micro-steps";
      EXPECT_EQ(lines, static_cast<size_t>(steps));
    }
    int rows = np == 2 ? 60 : 58;
    ASSERT_EQ(all.size(), static_cast<size_t>(rows))
        << np << " ranks: examples read twice or missed";
    int64_t expect = 0;
    for (int64_t i : all) EXPECT_EQ(i, expect++) << np << " ranks: the shards are not disjoint";
  }
}

TEST_F(DistributedTrain, ResumeWithTwoRanksIsBitwiseExact) {
  // With dropout: the per-rank generator states must travel through the checkpoint too.
  auto full = train(2, config("full2", "tiny-dropout"));
  ASSERT_EQ(full.exit_code, 0) << full.err;
  auto cfg = config("stopped2", "tiny-dropout");
  auto first = train(2, cfg, "--stop-after-step 4");
  ASSERT_EQ(first.exit_code, 75) << first.err;
  EXPECT_TRUE(fs::exists(step_dir("stopped2", 4) / "rng-rank-1.bin"));
  auto second = train(2, cfg);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("resumed from"), std::string::npos) << second.err;

  auto a = losses("full2"), b = losses("stopped2");
  ASSERT_EQ(a.size(), 10u);
  ASSERT_EQ(b.size(), 10u);
  for (int s = 1; s <= 10; ++s) EXPECT_EQ(a[s], b[s]) << "step " << s;
  EXPECT_EQ(read_file(step_dir("full2", 10) / "model.safetensors"),
            read_file(step_dir("stopped2", 10) / "model.safetensors"));
  EXPECT_EQ(read_file(step_dir("full2", 10) / "optimizer.safetensors"),
            read_file(step_dir("stopped2", 10) / "optimizer.safetensors"));
}

TEST_F(DistributedTrain, ResumeAcrossWorldSizesSaysSo) {
  for (auto [before, after] : {std::pair{2, 1}, std::pair{1, 2}}) {
    std::string run = "resize-" + std::to_string(before) + "-" + std::to_string(after);
    auto cfg = config(run);
    auto first = train(before, cfg, "--stop-after-step 3");
    ASSERT_EQ(first.exit_code, 75) << first.err;
    auto second = train(after, cfg);
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_NE(second.err.find("resuming a run written by " + std::to_string(before) +
                              " rank(s) with " + std::to_string(after)),
              std::string::npos)
        << second.err;
    EXPECT_NE(second.err.find("resumed from"), std::string::npos) << second.err;
    auto l = losses(run);
    EXPECT_EQ(l.size(), 10u) << run;
    EXPECT_TRUE(fs::exists(step_dir(run, 10) / "model.safetensors")) << run;
  }
}

// With train.epochs (no max_steps), a run resumed with another number of ranks still ends at the
// end of the last epoch: every example of both epochs seen once, whatever the step count.
TEST_F(DistributedTrain, ResumeAcrossWorldSizesEndsAfterTheRequestedEpochs) {
  // 60 rows, batch 4 a rank: 1 rank 15 steps an epoch, 2 ranks 8 (the last one 2 + 2).
  struct Case {
    int before, after, stop, steps;
  };
  for (auto c : {Case{1, 2, 10, 10 + 3 + 8}, Case{2, 1, 3, 3 + 9 + 15}}) {
    std::string run = "epochs-" + std::to_string(c.before) + "-" + std::to_string(c.after);
    auto cfg = config(run);
    std::string epochs = "--set train.max_steps=-1 --set train.epochs=2 ";
    ASSERT_EQ(
        train(c.before, cfg, epochs + "--stop-after-step " + std::to_string(c.stop)).exit_code, 75);
    auto second = train(c.after, cfg, epochs);
    ASSERT_EQ(second.exit_code, 0) << second.err;
    auto records = metrics_records(*dir_ / run, "done");
    ASSERT_EQ(records.size(), 1u) << run;
    const auto& done = records.front();
    EXPECT_EQ(done.at("samples_seen").get<int64_t>(), 120) << run << ": 2 epochs of 60";
    EXPECT_EQ(done.at("step").get<int64_t>(), c.steps) << run;
    EXPECT_EQ(losses(run).size(), static_cast<size_t>(c.steps)) << run;
  }
}

// The pid of rank `rank` of the job whose ranks carry BERTH_TEST_JOB=marker (0 if none).
pid_t find_rank(const std::string& marker, int rank) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::ifstream f(e.path() / "environ", std::ios::binary);
    if (!f) continue;
    std::string env((std::istreambuf_iterator<char>(f)), {});
    auto has = [&](const std::string& kv) {
      return env.find(std::string(1, '\0') + kv + '\0') != std::string::npos ||
             env.rfind(kv + '\0', 0) == 0;
    };
    if (has("BERTH_TEST_JOB=" + marker) && has("OMPI_COMM_WORLD_RANK=" + std::to_string(rank))) {
      try {
        return static_cast<pid_t>(std::stol(e.path().filename().string()));
      } catch (...) {
      }
    }
  }
  return 0;
}

// Runs `command` in the background; `act` runs once the run has logged a training step.
CommandResult run_and_act(const std::string& command, const fs::path& metrics,
                          const std::function<void()>& act) {
  CommandResult r;
  // `timeout` ends a job that `act` failed to stop (mpirun passes the TERM on to the ranks).
  std::thread job([&] { r = run_command("timeout 120 " + command); });
  for (int i = 0; i < 600; ++i) {
    std::ifstream f(metrics);
    std::string all((std::istreambuf_iterator<char>(f)), {});
    if (all.find("\"type\":\"train\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  act();
  job.join();
  return r;
}

TEST_F(DistributedTrain, StopSignalToOneRankStopsAllAtTheSameStep) {
  auto cfg = config("signalled");
  std::string marker = "stop-" + std::to_string(::getpid());
  auto r = run_and_act(mpirun(2, marker) + berth_train(cfg, "--set train.max_steps=100000"),
                       *dir_ / "signalled" / "metrics.jsonl", [&] {
                         pid_t pid = find_rank(marker, 1);
                         ASSERT_GT(pid, 0) << "rank 1 not found";
                         ::kill(pid, SIGUSR1);
                       });
  EXPECT_EQ(r.exit_code, 75) << r.err;
  int checkpoints = 0;
  for (const auto& e : fs::directory_iterator(*dir_ / "signalled" / "checkpoints"))
    if (e.path().filename().string().rfind("step-", 0) == 0) ++checkpoints;
  EXPECT_EQ(checkpoints, 1);
  // Both ranks saw the request at the same step (warnings are logged by every rank).
  std::string log0 = read_file(*dir_ / "signalled" / "logs" / "rank-0.log");
  std::string log1 = read_file(*dir_ / "signalled" / "logs" / "rank-1.log");
  auto step_of = [](const std::string& log) {
    auto p = log.find("writing a checkpoint at step ");
    return p == std::string::npos ? std::string("none")
                                  : log.substr(p + 29, log.find('\n', p) - p - 29);
  };
  EXPECT_NE(step_of(log0), "none") << log0;
  EXPECT_EQ(step_of(log0), step_of(log1));
  EXPECT_NE(log1.find("signal 10"), std::string::npos) << "rank 1 got the signal\n" << log1;
  // Each rank's own file keeps its INFO records; the console has rank 0's only.
  EXPECT_NE(log1.find("[info] [rank 1]"), std::string::npos) << log1;
  EXPECT_EQ(r.err.find("[info] [rank 1]"), std::string::npos) << r.err;
}

TEST_F(DistributedTrain, RanksWithDifferentConfigsFailNamingTheKeys) {
  auto cfg = config("mismatch");
  // MPMD: rank 1 gets another batch size and another --resume.
  auto r = run_command(mpirun(1) + berth_train(cfg) + " : -np 1 " +
                       berth_train(cfg, "--set data.batch_size=5 --resume never"));
  EXPECT_EQ(r.exit_code, 5) << r.err;  // ExitCode::kDistributed
  EXPECT_NE(r.err.find("rank 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("data.batch_size: 4 -> 5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--resume: auto -> never"), std::string::npos) << r.err;
}

// Fewer examples than ranks: no step could give every rank an example. Before this was refused,
// a run with train.max_steps "trained" that many steps on no data (weight decay only).
TEST_F(DistributedTrain, FewerExamplesThanRanksIsRefused) {
  write_file(*dir_ / "train2.csv", learnable_csv(2));
  auto r = train(3, config("too-few", "tiny", "train2.csv"), "--set train.max_steps=5");
  EXPECT_EQ(r.exit_code, 3) << r.err;  // ExitCode::kData
  EXPECT_NE(r.err.find("has 2 example(s), fewer than the 3 ranks"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at most 2 rank(s)"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(*dir_ / "too-few" / "checkpoints" / "step-00000005"));
}

// Ranks whose default corpus caches differ (as on nodes with their own $HOME): rank 1 cannot
// see what rank 0 prepared, and says so with the fix instead of an HDF5 open error.
TEST_F(DistributedTrain, ACacheOtherRanksCannotSeeIsNamed) {
  auto cfg = config("unshared-cache");
  std::string args = "--set \"data.cache_dir=''\"";
  auto rank = [&](const std::string& home) {
    return "env XDG_CACHE_HOME='" + (*dir_ / home).string() + "' " + berth_train(cfg, args);
  };
  auto r = run_command(mpirun(1) + rank("node0") + " : -np 1 " + rank("node1"));
  EXPECT_EQ(r.exit_code, 3) << r.err;  // ExitCode::kData
  EXPECT_NE(r.err.find("rank 1 cannot see " + (*dir_ / "node1").string() + "/berth/corpora/"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("data.cache_dir on a file system every node shares"), std::string::npos)
      << r.err;
}

// The same for a checkpoint: a relative run_dir and ranks started in different directories
// (as with a run directory on node-local disks) - rank 1 cannot see what rank 0 resumes from.
TEST_F(DistributedTrain, ACheckpointOtherRanksCannotSeeIsNamed) {
  auto cfg = config("unshared-run");
  std::string args = "--set \"train.run_dir='rel-run'\"";
  fs::create_directories(*dir_ / "node0");
  fs::create_directories(*dir_ / "node1");
  auto first = run_command("cd '" + (*dir_ / "node0").string() + "' && " +
                           berth_train(cfg, args + " --set train.max_steps=2"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto rank = [&](const std::string& node) {
    return "--wdir '" + (*dir_ / node).string() + "' " + berth_train(cfg, args);
  };
  auto r = run_command(mpirun(1) + rank("node0") + " : -np 1 " + rank("node1"));
  EXPECT_EQ(r.exit_code, 4) << r.err;  // ExitCode::kModel
  EXPECT_NE(r.err.find("rank 1 cannot see rel-run/checkpoints/step-00000002"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("train.run_dir (or checkpoint.dir) on a file system every node shares"),
            std::string::npos)
      << r.err;
}

TEST_F(DistributedTrain, AnErrorOnOneRankEndsTheJobAtOnceWithItsExitCode) {
  auto cfg = config("one-fails");
  auto t0 = Clock::now();
  // Rank 1 alone has a bad key; rank 0 would wait for it in the config check.
  auto r = run_command(mpirun(1) + berth_train(cfg, "--set runtime.comm_timeout_s=300") +
                       " : -np 1 " + berth_train(cfg, "--set optim.no_such_key=1"));
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 2) << r.err;  // the usage error's own code
  EXPECT_NE(r.err.find("optim.no_such_key"), std::string::npos) << r.err;
  EXPECT_LT(seconds, 60) << "the job waited for the failed rank";
}

TEST_F(DistributedTrain, HungRankTimesOutNamingCollectiveAndRank) {
  // Three ranks: rank 1 sleeps after step 2, ranks 0 and 2 wait for it in the next collective.
  auto cfg = config("hung", "tiny");
  auto t0 = Clock::now();
  auto r = train(3, cfg,
                 "--set runtime.comm_timeout_s=3 --set train.max_steps=1000 --hang-rank 1 "
                 "--hang-after-step 2");
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_LT(seconds, 40) << "3 s timeout + grace + start-up";
  EXPECT_NE(r.err.find("did not complete within"), std::string::npos) << r.err;
  // Every rank runs on this host; the message names it with each rank.
  const std::string host = distributed::this_host();
  EXPECT_NE(r.err.find("rank(s) not taking part: 1 on " + host + "."), std::string::npos) << r.err;
  EXPECT_NE(
      r.err.find("Alive but not at this collective (busy or hung in computation): rank 1 on " +
                 host),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("(collective #"), std::string::npos) << r.err;
}

TEST_F(DistributedTrain, StoppedRankTimesOutNamingTheRank) {
  // SIGSTOP freezes the whole process, its communication thread included: it cannot answer.
  auto cfg = config("frozen");
  std::string marker = "frozen-" + std::to_string(::getpid());
  Clock::time_point stopped_at;
  auto r = run_and_act(
      mpirun(2, marker) +
          berth_train(cfg, "--set runtime.comm_timeout_s=3 --set train.max_steps=100000"),
      *dir_ / "frozen" / "metrics.jsonl", [&] {
        pid_t pid = find_rank(marker, 1);
        ASSERT_GT(pid, 0) << "rank 1 not found";
        stopped_at = Clock::now();
        ::kill(pid, SIGSTOP);
      });
  double seconds = std::chrono::duration<double>(Clock::now() - stopped_at).count();
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_LT(seconds, 30) << "3 s timeout + grace";
  const std::string host = distributed::this_host();
  EXPECT_NE(r.err.find("rank(s) not taking part: 1 on " + host + "."), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Not answering (stopped, killed, or frozen): rank 1 on " + host),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace berth::test
