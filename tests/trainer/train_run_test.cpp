// End-to-end runs of `berth train` on a tiny random BERT (2 layers, hidden 32): per-step losses
// against transformers, exact resume after a stop, a crash during a checkpoint write, a real
// stop signal, and config errors. The reference values are computed at test time in Python.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint/manifest.h"
#include "checkpoint/run_lock.h"
#include "tests/support/test_support.h"
#include "trainer/epoch_plan.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class TrainRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto tiny = [](const std::string& name, const char* dropout) {
      run_python("make_tiny_model.py '" + (*dir_ / name).string() + "' '" +
                 default_model().string() + "' 3 " + dropout);
    };
    tiny("tiny", "0.0");
    tiny("tiny-dropout", "0.1");
    write_file(*dir_ / "train.csv", learnable_csv(60));
    write_file(*dir_ / "dev.csv", learnable_csv(15));
  }
  static void TearDownTestSuite() { delete dir_; }

  // A config for the tiny model; `extra` lines are appended (later keys are set with --set).
  std::string config(const std::string& run, const std::string& model) {
    std::ostringstream c;
    c << "[model]\npath = '" << (*dir_ / model).string() << "'\n"
      << "[data]\ntrain = '" << (*dir_ / "train.csv").string() << "'\n"
      << "batch_size = 8\nmax_length = 32\ncache_dir = '" << (*dir_ / "cache").string() << "'\n"
      << "[optim]\nlr = 1e-3\nwarmup_steps = 2\nmax_grad_norm = 1.0\n"
      << "[train]\nmax_steps = 10\nlog_every = 1\nseed = 7\nrun_dir = '" << (*dir_ / run).string()
      << "'\n[checkpoint]\nkeep_last = 0\nkeep_best = 0\n[runtime]\nthreads = 1\n";
    auto path = *dir_ / (run + ".toml");
    write_file(path, c.str());
    return path.string();
  }

  CommandResult train(const std::string& cfg, const std::string& args = "") {
    return run_command("'" + berth_binary() + "' train --config '" + cfg + "' " + args);
  }

  // step -> loss from a run's metrics.jsonl (the last record for a step wins).
  std::map<int64_t, double> losses(const std::string& run) { return train_losses(*dir_ / run); }

  fs::path step_dir(const std::string& run, int step) {
    return checkpoint_step_dir(*dir_ / run, step);
  }

  static TempDir* dir_;
};

TempDir* TrainRun::dir_ = nullptr;

fs::path only_corpus(const fs::path& cache, const std::string& stem) {
  for (const auto& e : fs::directory_iterator(cache))
    if (e.path().filename().string().rfind(stem + "-", 0) == 0 && e.path().extension() == ".h5")
      return e.path();
  return {};
}

TEST_F(TrainRun, FirstStepsMatchTransformers) {
  for (int accum : {1, 2}) {
    std::string run = "parity-" + std::to_string(accum);
    auto cfg = config(run, "tiny");
    auto trace = (*dir_ / (run + ".trace")).string();
    auto r = train(cfg, "--set train.max_steps=6 --set optim.lr=5e-3 --set optim.grad_accum=" +
                            std::to_string(accum) + " --trace-batches '" + trace + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto corpus = only_corpus(*dir_ / "cache", "train");
    ASSERT_FALSE(corpus.empty());
    // Schedule: 6 steps in all, 2 warm-up, weight decay 0.01 (the defaults), clip 1.0.
    auto ref = nlohmann::json::parse(run_python("training_oracle.py '" + (*dir_ / "tiny").string() +
                                                "' '" + corpus.string() + "' '" + trace + ".0' 6 " +
                                                std::to_string(accum) + " 5e-3 2 6 0.01 1.0")
                                         .out);
    auto mine = losses(run);
    ASSERT_EQ(mine.size(), 6u);
    for (int s = 0; s < 6; ++s) {
      EXPECT_NEAR(mine[s + 1], ref[s].get<double>(), 1e-4)
          << "accum " << accum << " step " << s + 1;
    }
    EXPECT_GT(std::abs(mine[1] - mine[6]), 1e-3) << "the loss never moved: the test proves nothing";
  }
}

TEST_F(TrainRun, ResumeAfterStopIsBitwiseExact) {
  auto a = train(config("full", "tiny-dropout"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto cfg = config("stopped", "tiny-dropout");
  auto b1 = train(cfg, "--stop-after-step 4");
  ASSERT_EQ(b1.exit_code, 75) << b1.err;  // ExitCode::kStopped
  EXPECT_TRUE(fs::exists(step_dir("stopped", 4) / "manifest.json"));
  auto b2 = train(cfg);
  ASSERT_EQ(b2.exit_code, 0) << b2.err;
  EXPECT_NE(b2.err.find("resumed from"), std::string::npos) << b2.err;

  auto la = losses("full"), lb = losses("stopped");
  ASSERT_EQ(la.size(), 10u);
  ASSERT_EQ(lb.size(), 10u);
  for (int s = 1; s <= 10; ++s) EXPECT_EQ(la[s], lb[s]) << "step " << s;  // bitwise
  EXPECT_EQ(read_file(step_dir("full", 10) / "model.safetensors"),
            read_file(step_dir("stopped", 10) / "model.safetensors"));
  EXPECT_EQ(read_file(step_dir("full", 10) / "optimizer.safetensors"),
            read_file(step_dir("stopped", 10) / "optimizer.safetensors"));
}

TEST_F(TrainRun, CrashDuringCheckpointWriteLeavesAResumableState) {
  auto a = train(config("reference", "tiny-dropout"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto cfg = config("crashed", "tiny-dropout");
  for (const char* phase : {"files_synced", "manifest_written"}) {
    fs::remove_all(*dir_ / "crashed");
    auto c1 = train(cfg, "--set checkpoint.every_steps=3 --crash-at 6:" + std::string(phase));
    ASSERT_EQ(c1.exit_code, 99) << phase << "\n" << c1.err;
    EXPECT_FALSE(fs::exists(step_dir("crashed", 6))) << phase;
    auto c2 = train(cfg, "--set checkpoint.every_steps=3");
    ASSERT_EQ(c2.exit_code, 0) << c2.err;
    EXPECT_NE(c2.err.find("step-00000003"), std::string::npos) << c2.err;
    EXPECT_EQ(read_file(step_dir("reference", 10) / "model.safetensors"),
              read_file(step_dir("crashed", 10) / "model.safetensors"))
        << phase;
  }
}

TEST_F(TrainRun, SignalStopsWithACheckpointAndExitCode75) {
  auto cfg = config("signalled", "tiny-dropout");
  auto metrics = (*dir_ / "signalled" / "metrics.jsonl").string();
  auto r =
      run_command("'" + berth_binary() + "' train --config '" + cfg +
                  "' --set train.max_steps=100000 & pid=$!; "
                  "for i in $(seq 600); do grep -q '\"type\":\"train\"' '" +
                  metrics + "' 2>/dev/null && break; sleep 0.1; done; kill -USR1 $pid; wait $pid");
  EXPECT_EQ(r.exit_code, 75) << r.err;
  EXPECT_NE(r.err.find("stop requested"), std::string::npos) << r.err;
  auto v = run_command("'" + berth_binary() + "' checkpoint verify '" +
                       (*dir_ / "signalled" / "checkpoints" / "latest").string() + "'");
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// A second signal while the first is being handled ends the run at once (a user who presses
// Ctrl-C twice, or a scheduler that follows its warning with TERM): exit 130, no checkpoint.
TEST_F(TrainRun, SecondSignalAbortsWithExitCode130) {
  auto cfg = config("aborted", "tiny-dropout");
  auto metrics = (*dir_ / "aborted" / "metrics.jsonl").string();
  auto r = run_command("'" + berth_binary() + "' train --config '" + cfg +
                       "' --set train.max_steps=100000 & pid=$!; "
                       "for i in $(seq 600); do grep -q '\"type\":\"train\"' '" +
                       metrics +
                       "' 2>/dev/null && break; sleep 0.1; done; kill -USR1 $pid; kill -TERM $pid; "
                       "wait $pid");
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("second signal"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(*dir_ / "aborted" / "checkpoints" / "latest"));
}

// The loss is the class-weighted mean over the step's examples: the sum of w(label) * loss
// divided by the sum of w(label). Uniform weights of 2 change neither (scaling by 2 is exact in
// floating point), so the losses equal unweighted training bit for bit; uneven weights change
// them. A normaliser that counted examples instead of weights would double the first run's.
TEST_F(TrainRun, ClassWeightsNormaliseByTheWeightSum) {
  ASSERT_EQ(train(config("unweighted", "tiny"), "--set train.max_steps=4").exit_code, 0);
  auto r = train(config("uniform2", "tiny"),
                 "--set train.max_steps=4 --set optim.class_weights=\"2,2,2\"");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(
      train(config("uneven", "tiny"), "--set train.max_steps=4 --set optim.class_weights=\"1,4,1\"")
          .exit_code,
      0);
  auto a = losses("unweighted"), b = losses("uniform2"), c = losses("uneven");
  ASSERT_EQ(b.size(), 4u);
  for (int s = 1; s <= 4; ++s) EXPECT_EQ(a[s], b[s]) << "step " << s;
  EXPECT_NE(a[1], c[1]);
}

TEST_F(TrainRun, IncompatibleChangeOnResumeIsRefusedAndNamed) {
  auto cfg = config("changed", "tiny");
  ASSERT_EQ(train(cfg, "--stop-after-step 2").exit_code, 75);
  auto r = train(cfg, "--set data.batch_size=4 --set train.max_steps=12");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("data.batch_size: 8 -> 4"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("train.max_steps: 10 -> 12"), std::string::npos)
      << "a harmless change must not be listed as incompatible\n"
      << r.err;
}

// A checkpoint written in the middle of an epoch by a build that ordered epochs differently
// (simulated: trainer_state.json without epoch_order_version, as builds before the field wrote
// it) resumes with a warning saying what happens to that epoch; this build's own does not warn.
TEST_F(TrainRun, ResumeMidEpochFromAnotherEpochOrderWarns) {
  const std::string warning = "ordered epochs differently";
  ASSERT_EQ(train(config("order-new", "tiny"), "--stop-after-step 2").exit_code, 75);
  fs::copy(*dir_ / "order-new", *dir_ / "order-old",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  auto ckpt = step_dir("order-old", 2);
  auto state = nlohmann::json::parse(read_file(ckpt / "trainer_state.json"));
  EXPECT_EQ(state.at("epoch_order_version").get<int>(), trainer::EpochPlan::kOrderVersion);
  ASSERT_GT(state.at("position").get<int64_t>(), 0) << "the stop must fall inside an epoch";
  state.erase("epoch_order_version");
  write_file(ckpt / "trainer_state.json", state.dump(2));
  auto manifest = checkpoint::parse_manifest(read_file(ckpt / "manifest.json"), "manifest.json");
  manifest.files = checkpoint::hash_directory(ckpt, false);
  write_file(ckpt / "manifest.json", checkpoint::manifest_to_json(manifest));

  auto old_build = train(config("order-old", "tiny"));
  ASSERT_EQ(old_build.exit_code, 0) << old_build.err;
  EXPECT_NE(old_build.err.find(warning), std::string::npos) << old_build.err;
  EXPECT_NE(old_build.err.find("16 samples into epoch 1"), std::string::npos) << old_build.err;
  auto same_build = train(config("order-new", "tiny"));
  ASSERT_EQ(same_build.exit_code, 0) << same_build.err;
  EXPECT_NE(same_build.err.find("resumed from"), std::string::npos) << same_build.err;
  EXPECT_EQ(same_build.err.find(warning), std::string::npos) << same_build.err;
}

// Going back to an older checkpoint branches the run: after a stop, `--resume auto` continues the
// branch (step 7), not the higher step the abandoned run left (step 10, which would also end
// the run at once as "already complete").
TEST_F(TrainRun, AutoResumeFollowsTheBranchNotTheHighestStep) {
  auto cfg = config("branch", "tiny");
  ASSERT_EQ(train(cfg, "--set checkpoint.every_steps=5").exit_code, 0);  // steps 5 and 10
  auto b = train(cfg, "--resume '" + step_dir("branch", 5).string() +
                          "' --set checkpoint.every_steps=5 --stop-after-step 7");
  ASSERT_EQ(b.exit_code, 75) << b.err;
  ASSERT_TRUE(fs::exists(step_dir("branch", 7)));
  auto c = train(cfg, "--set checkpoint.every_steps=5");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.err.find("resuming from " + step_dir("branch", 7).string()), std::string::npos)
      << c.err;
  EXPECT_NE(c.err.find("at step 7"), std::string::npos) << c.err;
  auto l = losses("branch");
  EXPECT_TRUE(l.count(8) && l.count(10)) << "steps 8 to 10 of the branch were trained";
}

TEST_F(TrainRun, MixedPrecisionTracksFp32) {
  auto cfg = config("amp-fp32", "tiny");
  ASSERT_EQ(train(cfg, "--set train.max_steps=6").exit_code, 0);
  auto ref = losses("amp-fp32");
  for (const char* p : {"bf16", "fp16"}) {
    std::string run = std::string("amp-") + p;
    auto r = train(config(run, "tiny"),
                   "--set train.max_steps=6 --set train.precision=" + std::string(p));
    ASSERT_EQ(r.exit_code, 0) << p << "\n" << r.err;
    auto l = losses(run);
    ASSERT_EQ(l.size(), 6u) << p;
    // bf16 keeps ~3 significant digits: the losses follow fp32's closely, not bitwise.
    for (int s = 1; s <= 6; ++s) EXPECT_NEAR(l[s], ref[s], 0.02) << p << " step " << s;
    if (std::string(p) == "fp16") {
      std::ifstream f(*dir_ / run / "metrics.jsonl");
      std::string all((std::istreambuf_iterator<char>(f)), {});
      EXPECT_NE(all.find("\"loss_scale\":65536"), std::string::npos) << "fp16 logs its loss scale";
    }
  }
}

// The step reads no loss back; the losses are read once per logging window. A window of 4 must
// log what four windows of 1 log: the last step's loss and the mean over the window.
TEST_F(TrainRun, LossesReadOncePerWindowAreTheSameLosses) {
  ASSERT_EQ(train(config("window-1", "tiny-dropout")).exit_code, 0);
  auto r = train(config("window-4", "tiny-dropout"), "--set train.log_every=4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto each = losses("window-1");
  ASSERT_EQ(each.size(), 10u);
  std::map<int64_t, int64_t> samples;  // per step, from the windows of one step
  for (const auto& r : metrics_records(*dir_ / "window-1", "train"))
    samples[r["step"].get<int64_t>()] = r["samples"].get<int64_t>();
  auto windows = metrics_records(*dir_ / "window-4", "train");
  ASSERT_EQ(windows.size(), 3u);  // steps 4, 8 and the last, 10
  int64_t first = 1;
  for (const auto& w : windows) {
    int64_t step = w["step"].get<int64_t>();
    EXPECT_EQ(w["loss"].get<double>(), each[step]) << "step " << step;
    double sum = 0;
    int64_t n = 0;
    for (int64_t s = first; s <= step; ++s) sum += each[s], n += samples[s];
    EXPECT_NEAR(w["mean_loss"].get<double>(), sum / (step - first + 1), 1e-12) << step;
    EXPECT_EQ(w["samples"].get<int64_t>(), n) << step;  // the epoch's last batch holds 4
    EXPECT_GT(w["seconds"].get<double>(), 0.0);
    first = step + 1;
  }
}

// optim.fused = false (the multi-tensor/per-tensor update) follows the fused kernel's run: the
// fused kernel rounds differently, so over 200 steps (27 epochs, the loss falling to near zero)
// the curves may drift apart a little, never by more than 0.02; over the first 10, by 1e-4.
TEST_F(TrainRun, UnfusedAdamWTracksTheFusedOneOver200Steps) {
  const std::string steps = "--set train.max_steps=200 --set optim.warmup_steps=20";
  ASSERT_EQ(train(config("fused", "tiny-dropout"), steps).exit_code, 0);
  auto r = train(config("unfused", "tiny-dropout"), steps + " --set optim.fused=false");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = losses("fused"), b = losses("unfused");
  ASSERT_EQ(a.size(), 200u);
  ASSERT_EQ(b.size(), 200u);
  for (int s = 1; s <= 200; ++s) EXPECT_NEAR(a[s], b[s], s <= 10 ? 1e-4 : 0.02) << "step " << s;
  EXPECT_GT(std::abs(a[1] - a[200]), 0.1) << "the loss never moved: the test proves nothing";
}

// runtime.fast_dropout (Berth's counter-based masks, the default) against ATen's masks: other
// masks, so not the same curve, but the same training. Over the first steps the weights are still
// nearly the same and only the masks differ (1e-2); later the curves drift apart as dropout noise
// compounds (by up to ~0.3 a step on this 60-example set), but their means over the 40 steps
// agree (0.05) and both fall. The same setting twice is bitwise repeatable (the masks come from
// the seeded generator).
TEST_F(TrainRun, FastDropoutTrainsLikeAtenDropout) {
  const std::string steps =
      "--set train.max_steps=40 --set optim.warmup_steps=4 --set optim.lr=5e-3";
  ASSERT_EQ(train(config("fast-dropout", "tiny-dropout"), steps).exit_code, 0);
  ASSERT_EQ(train(config("fast-dropout-again", "tiny-dropout"), steps).exit_code, 0);
  auto r =
      train(config("aten-dropout", "tiny-dropout"), steps + " --set runtime.fast_dropout=false");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto f = losses("fast-dropout"), again = losses("fast-dropout-again"), a = losses("aten-dropout");
  ASSERT_EQ(f.size(), 40u);
  ASSERT_EQ(a.size(), 40u);
  double mean_fast = 0, mean_aten = 0;
  for (int s = 1; s <= 40; ++s) {
    EXPECT_EQ(f[s], again[s]) << "step " << s;
    if (s <= 5) EXPECT_NEAR(f[s], a[s], 1e-2) << "step " << s;
    mean_fast += f[s] / 40, mean_aten += a[s] / 40;
  }
  EXPECT_NEAR(mean_fast, mean_aten, 0.05);
  EXPECT_NE(f[3], a[3]) << "the setting changed nothing: the test proves nothing";
  for (auto* run : {&f, &a}) {
    double first = 0, last = 0;
    for (int s = 1; s <= 5; ++s) first += (*run)[s] / 5, last += (*run)[35 + s] / 5;
    EXPECT_GT(first - last, 0.1) << "the loss never fell: the test proves nothing";
  }
}

// train.profile_step: that step (only) is written as a Chrome trace with the phases that
// bench/profile_table.py sums by, and the ATen ops inside them.
TEST_F(TrainRun, ProfileStepWritesATraceOfThatStep) {
  auto r = train(config("profiled", "tiny-dropout"),
                 "--set train.max_steps=3 --set train.profile_step=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(*dir_ / "profiled" / "profile-step-1-rank-0.json"));
  auto trace = read_file(*dir_ / "profiled" / "profile-step-2-rank-0.json");
  for (const char* name :
       {"\"forward\"", "\"backward\"", "\"optimizer\"", "aten::addmm", "aten::_fused_adamw_"})
    EXPECT_NE(trace.find(name), std::string::npos) << name;
  EXPECT_EQ(losses("profiled").size(), 3u);
}

// A second run on a run directory in use stops at once, naming the holder; the holder's files
// are untouched. Once the holder is gone the same command runs.
TEST_F(TrainRun, ARunDirectoryInUseIsRefusedAtStart) {
  auto cfg = config("locked", "tiny");
  {
    auto held = checkpoint::RunLock::acquire(*dir_ / "locked", "train.run_dir");
    fs::create_directories(*dir_ / "locked" / "checkpoints" / ".tmp-step-00000003-x");
    write_file(*dir_ / "locked" / "checkpoints" / ".tmp-step-00000003-x" / "f", "in progress");
    auto r = train(cfg, "--resume never --set train.max_steps=2");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("in use by another berth train"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("pid " + std::to_string(getpid())), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(*dir_ / "locked" / "checkpoints" / ".tmp-step-00000003-x" / "f"));
    EXPECT_FALSE(fs::exists(*dir_ / "locked" / "metrics.jsonl"));
  }
  auto r = train(cfg, "--resume never --set train.max_steps=2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A run directory moved while its run is live (and a new one made at the old path, as another
// run would): the run's next checkpoint is not written into the new directory; the run stops
// with exit 2 naming the key, and what it wrote before the move is intact where it went.
TEST_F(TrainRun, AMovedRunDirectoryGetsNoCheckpointOfThisRun) {
  const auto cfg = config("moving", "tiny");
  const std::string run = (*dir_ / "moving").string(), moved = run + ".moved";
  // A first checkpoint (step 3), then the same run resumed with no checkpoint due before its
  // stop: the move cannot fall in the middle of a checkpoint write, so the test is exact.
  ASSERT_EQ(train(cfg, "--resume never --set train.max_steps=3").exit_code, 0);
  auto r = run_command("'" + berth_binary() + "' train --config '" + cfg +
                       "' --set train.max_steps=1000000 2> '" + run +
                       ".err' & pid=$!\n"
                       "for i in $(seq 1200); do [ $(grep -c '\"type\":\"train\"' '" +
                       run +
                       "/metrics.jsonl') -ge 5 ] && break; sleep 0.1; done\n"
                       "mv '" +
                       run + "' '" + moved + "' && mkdir '" + run +
                       "'\n"
                       "kill -TERM $pid; wait $pid; echo \"rc=$?\"");
  const std::string err = read_file(run + ".err");
  EXPECT_NE(r.out.find("rc=2"), std::string::npos) << r.out << err;
  EXPECT_NE(err.find("train.run_dir " + run + " is no longer the directory this run locked"),
            std::string::npos)
      << err;
  EXPECT_FALSE(fs::exists(fs::path(run) / "checkpoints")) << "written into the new directory";
  EXPECT_TRUE(fs::exists(fs::path(moved) / "checkpoints" / "step-00000003" / "manifest.json"));
  EXPECT_TRUE(fs::is_empty(run));
}

// What a run needs later is checked before step 1: each of these fails with its exit code and
// names the key, and no training step was taken.
TEST_F(TrainRun, PreflightRefusesBeforeTheFirstStep) {
  auto no_steps = [&](const std::string& run) {
    EXPECT_TRUE(metrics_records(*dir_ / run, "train").empty()) << run << " took a step";
  };
  // A max_length the model cannot embed (the tiny model has 512 positions).
  auto r = train(config("pf-length", "tiny"), "--set data.max_length=600");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("data.max_length is 600"), std::string::npos) << r.err;
  no_steps("pf-length");
  // A model directory without the tokenizer (tokenizer.json or vocab.txt) every checkpoint copies.
  fs::create_directories(*dir_ / "novocab");
  for (const auto& e : fs::directory_iterator(*dir_ / "tiny"))
    if (e.path().filename() != "vocab.txt" && e.path().filename() != "tokenizer.json")
      fs::copy(e.path(), *dir_ / "novocab" / e.path().filename(),
               fs::copy_options::overwrite_existing);
  r = train(config("pf-vocab", "tiny"), "--set model.path='" + (*dir_ / "novocab").string() +
                                            "' --set data.train='" +
                                            (*dir_ / "train.csv").string() + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("has neither tokenizer.json nor vocab.txt"), std::string::npos) << r.err;
  no_steps("pf-vocab");
  // One class only.
  write_file(*dir_ / "oneclass.csv", "text,label\nfine day,pos\ngood food,pos\nnice one,pos\n");
  r = train(config("pf-oneclass", "tiny"),
            "--set data.train='" + (*dir_ / "oneclass.csv").string() + "'");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("at least two classes"), std::string::npos) << r.err;
  no_steps("pf-oneclass");
  // A run_dir that cannot be created (its parent is a file).
  write_file(*dir_ / "afile", "x");
  r = train(config("pf-dir", "tiny"),
            "--set train.run_dir='" + (*dir_ / "afile" / "run").string() + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("train.run_dir"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
}

// predict/eval check a checkpoint against its manifest before using it: a flipped byte in the
// weights is refused with the verify report (it used to predict silently with other weights);
// --no-verify overrides; `best` on a run without a dev set is explained.
TEST_F(TrainRun, PredictRefusesACheckpointThatFailsItsManifest) {
  ASSERT_EQ(train(config("verified", "tiny"), "--set train.max_steps=2").exit_code, 0);
  const std::string env = "env XDG_CACHE_HOME='" + (*dir_ / "xdg").string() + "' ";
  const fs::path ck = step_dir("verified", 2);
  auto predict = [&](const std::string& extra) {
    return run_command(env + "'" + berth_binary() + "' predict --checkpoint '" + ck.string() +
                       "' --input '" + (*dir_ / "train.csv").string() + "' --output '" +
                       (*dir_ / "verified.jsonl").string() + "' " + extra);
  };
  auto ok = predict("");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  ASSERT_EQ(predict("").exit_code, 0);  // again, from the cached verification
  {
    std::fstream f(ck / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-5, std::ios::end);
    char c = 0;
    f.get(c);
    f.seekp(-5, std::ios::end);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  auto bad = predict("");
  EXPECT_EQ(bad.exit_code, 4) << bad.err;
  EXPECT_NE(bad.err.find("fails its manifest check"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("model.safetensors"), std::string::npos) << bad.err;
  EXPECT_EQ(predict("--no-verify").exit_code, 0);
  auto best = run_command(env + "'" + berth_binary() + "' eval --checkpoint '" +
                          (*dir_ / "verified" / "checkpoints" / "best").string() + "' --input '" +
                          (*dir_ / "dev.csv").string() + "'");
  EXPECT_EQ(best.exit_code, 4) << best.err;
  EXPECT_NE(best.err.find("'best' is written only when a dev evaluation"), std::string::npos)
      << best.err;
}

TEST_F(TrainRun, RerunningAFinishedRunDoesNoMoreSteps) {
  auto cfg = config("finished", "tiny");
  ASSERT_EQ(train(cfg, "--set train.max_steps=3").exit_code, 0);
  auto r = train(cfg, "--set train.max_steps=3");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("already complete"), std::string::npos) << r.err;
  EXPECT_EQ(losses("finished").size(), 3u);
}

TEST_F(TrainRun, ConfigErrorsNameKeyAndFile) {
  auto path = *dir_ / "bad.toml";
  write_file(path, "[data]\ntrain = 'x.csv'\n[optim]\nlearning_rate = 1e-4\n");
  auto r = train(path.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml:4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("optim.learning_rate"), std::string::npos) << r.err;
  auto missing = train(config("nodata", "tiny"), "--set data.train=\"/nonexistent.csv\"");
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_NE(missing.err.find("/nonexistent.csv"), std::string::npos) << missing.err;
}

// Used to pass validation and end in std::stoi as an internal error (exit 1).
TEST_F(TrainRun, BadDeviceIndexIsAConfigError) {
  for (const char* device : {"cuda:x", "cuda:", "cuda:99999999999"}) {
    auto r = train(config("baddevice", "tiny"), std::string("--set runtime.device=") + device);
    EXPECT_EQ(r.exit_code, 2) << device << "\n" << r.err;
    EXPECT_NE(r.err.find("runtime.device"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cpu, cuda or cuda:N"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace berth::test
