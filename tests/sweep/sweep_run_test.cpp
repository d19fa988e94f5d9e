// `berth sweep` end to end, here: a 4-trial grid of a tiny model (12 steps each) planned with
// --mode print, one trial made to fail (its metrics.jsonl is a directory), run locally: the
// others finish, the sweep exits non-zero naming the failure; a rerun retries only the failed
// trial and never touches a finished one; `berth report` ranks the trials as their own
// metrics.jsonl says (label slow: about a minute here). And a space with a bad key is refused
// before anything is written.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <sstream>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class SweepRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    run_python("make_tiny_model.py '" + (*dir_ / "tiny").string() + "' '" +
               default_model().string() + "' 3 0.1");
    write_file(*dir_ / "train.csv", learnable_csv(48));
    write_file(*dir_ / "dev.csv", learnable_csv(15));
    write_file(*dir_ / "test.csv", learnable_csv(12));
    const auto& d = *dir_;
    std::ostringstream c;
    c << "[model]\npath = '" << (d / "tiny").string() << "'\n"
      << "[data]\ntrain = '" << (d / "train.csv").string() << "'\ndev = '"
      << (d / "dev.csv").string() << "'\ntest = '" << (d / "test.csv").string() << "'\n"
      << "batch_size = 8\nmax_length = 32\ncache_dir = '" << (d / "cache").string() << "'\n"
      << "[optim]\nlr = 1e-3\nwarmup_steps = 1\n"
      << "[train]\nmax_steps = 12\nlog_every = 1\neval_every = 4\nseed = 7\n"
      << "[checkpoint]\nevery_steps = 4\nkeep_last = 1\nkeep_best = 1\n[runtime]\nthreads = 1\n";
    write_file(d / "base.toml", c.str());
    write_file(d / "space.toml",
               "method = \"grid\"\n[params]\n\"optim.lr\" = [3e-3, 1e-3]\n"
               "\"train.seed\" = [1, 2]\n");
  }
  static void TearDownTestSuite() { delete dir_; }

  static CommandResult berth(const std::string& args) {
    return run_command("cd '" + dir_->path().string() + "' && '" + berth_binary() + "' " + args);
  }
  static std::string sweep_args(const std::string& out) {
    return "sweep --config base.toml --space space.toml --out " + out;
  }
  static TempDir* dir_;
};
TempDir* SweepRun::dir_ = nullptr;

TEST_F(SweepRun, FourTrialsOneFailsRerunRetriesItReportRanksThem) {
  const auto sweep = *dir_ / "s";
  // Planned without running: sweep.toml, four configs, the array command.
  auto printed = berth(sweep_args("s") + " --mode print --max-concurrent 2 --sbatch-script '" +
                       (source_dir() / "slurm/sweep.sbatch").string() + "'");
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_NE(printed.out.find("--array=0-3%2"), std::string::npos) << printed.out;
  for (const char* t : {"trial-000", "trial-001", "trial-002", "trial-003"})
    ASSERT_TRUE(fs::exists(sweep / t / "config.toml")) << t;
  EXPECT_FALSE(fs::exists(sweep / "trial-000" / "metrics.jsonl")) << "print runs nothing";
  EXPECT_NE(read_file(sweep / "trial-002/config.toml").find("lr = 0.001"), std::string::npos);

  // trial-002 cannot write its metrics: it fails, the others run to the end.
  fs::create_directories(sweep / "trial-002" / "metrics.jsonl");
  auto first = berth(sweep_args("s"));
  EXPECT_EQ(first.exit_code, 2) << first.out << first.err;  // trial-002's exit code (usage)
  EXPECT_NE(first.out.find("3 of 4 trials done, 1 failed"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("trial-002 failed with exit 2"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("metrics.jsonl"), std::string::npos) << "the log tail says why";
  for (const char* t : {"trial-000", "trial-001", "trial-003"})
    EXPECT_EQ(metrics_records(sweep / t, "done").size(), 1u) << t;

  auto failed_json = berth("report s --json");
  ASSERT_EQ(failed_json.exit_code, 0) << failed_json.err;
  auto j = nlohmann::json::parse(failed_json.out);
  ASSERT_EQ(j["trials"].size(), 4u);
  const auto& last = j["trials"][3];  // no dev evaluation: ranked last
  EXPECT_EQ(last["trial"], "trial-002");
  EXPECT_EQ(last["status"], "failed");
  EXPECT_EQ(last["exit_code"], 2);

  // The obstacle gone, a rerun retries trial-002 only: the finished trials' files stay as they are.
  fs::remove_all(sweep / "trial-002" / "metrics.jsonl");
  const auto before = read_file(sweep / "trial-000" / "metrics.jsonl");
  auto second = berth(sweep_args("s"));
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("4 of 4 trials done, 0 failed"), std::string::npos) << second.out;
  EXPECT_EQ(read_file(sweep / "trial-000" / "metrics.jsonl"), before) << "a done trial reran";
  EXPECT_EQ(metrics_records(sweep / "trial-002", "start").size(), 1u);

  // The leaderboard, checked against each trial's own records.
  auto report = berth("report s --json");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  j = nlohmann::json::parse(report.out);
  EXPECT_EQ(j["metric"], "accuracy");
  EXPECT_EQ(j["keys"], (nlohmann::json{"optim.lr", "train.seed"}));
  ASSERT_EQ(j["trials"].size(), 4u);
  double previous = INFINITY;
  for (const auto& t : j["trials"]) {
    const std::string name = t["trial"];
    EXPECT_EQ(t["status"], "done") << name;
    double best = -1;
    int64_t best_step = -1;
    for (const auto& e : metrics_records(sweep / name, "eval"))
      if (e["accuracy"].get<double>() > best) best = e["accuracy"], best_step = e["step"];
    EXPECT_DOUBLE_EQ(t["best_dev"].get<double>(), best) << name;
    EXPECT_EQ(t["best_step"], best_step) << name;
    EXPECT_LE(best, previous) << "ranked best first";
    previous = best;
    const auto tests = metrics_records(sweep / name, "test");
    ASSERT_EQ(tests.size(), 1u);
    EXPECT_DOUBLE_EQ(t["test"].get<double>(), tests[0]["accuracy"].get<double>());
    EXPECT_GT(t["wall_s"].get<double>(), 0);
    EXPECT_TRUE(fs::exists(t["checkpoint"].get<std::string>())) << t.dump();
  }
  EXPECT_EQ(j["best"]["trial"], j["trials"][0]["trial"]);
  EXPECT_EQ(j["trials"][0]["values"].size(), 2u);

  auto page = berth("report s");
  ASSERT_EQ(page.exit_code, 0) << page.err;
  EXPECT_NE(page.out.find("best: " + j["best"]["trial"].get<std::string>()), std::string::npos)
      << page.out;
  const auto html = read_file(sweep / "report.html");
  EXPECT_NE(html.find("Leaderboard"), std::string::npos);
  for (const char* t : {"trial-000", "trial-001", "trial-002", "trial-003"})
    EXPECT_NE(html.find(t), std::string::npos) << t;
  EXPECT_NE(html.find("<svg"), std::string::npos);

  // A third run: everything done, nothing runs again.
  auto third = berth(sweep_args("s"));
  EXPECT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(read_file(sweep / "trial-000" / "metrics.jsonl"), before);
}

// A stop signal to the sweep reaches the running trial once: it stops with a checkpoint, the
// sweep ends with 75 without starting the next trial, and the same command resumes the trial
// (a "resume" record, no second "start") and runs the rest.
TEST_F(SweepRun, StopSignalStopsTheTrialWithACheckpointAndTheRerunResumesIt) {
  write_file(*dir_ / "seeds.toml", "[params]\n\"train.seed\" = [1, 2]\n");
  const auto sweep = *dir_ / "stop";
  const auto out = *dir_ / "stop.out";
  const std::string binary = berth_binary();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(dir_->path().c_str()) != 0 || !freopen(out.c_str(), "w", stdout) ||
        !freopen(out.c_str(), "a", stderr))
      _exit(126);
    execl(binary.c_str(), binary.c_str(), "sweep", "--config", "base.toml", "--space", "seeds.toml",
          "--out", "stop", "--set", "train.max_steps=200", static_cast<char*>(nullptr));
    _exit(127);
  }
  bool checkpointed = false;
  for (int i = 0; i < 2400 && !checkpointed; ++i) {  // up to 2 minutes
    checkpointed = !metrics_records(sweep / "trial-000", "checkpoint").empty();
    if (!checkpointed) usleep(50 * 1000);
  }
  ASSERT_TRUE(checkpointed) << read_file(out);
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << read_file(out);
  EXPECT_EQ(WEXITSTATUS(status), 75) << read_file(out);
  ASSERT_EQ(metrics_records(sweep / "trial-000", "stopped").size(), 1u) << read_file(out);
  EXPECT_TRUE(metrics_records(sweep / "trial-000", "done").empty());
  EXPECT_FALSE(fs::exists(sweep / "trial-001" / "metrics.jsonl")) << "the next trial started";
  const int64_t stopped_at = metrics_records(sweep / "trial-000", "stopped")[0]["step"];

  auto rerun = berth(
      "sweep --config base.toml --space seeds.toml --out stop --set "
      "train.max_steps=200");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  const auto resumes = metrics_records(sweep / "trial-000", "resume");
  ASSERT_EQ(resumes.size(), 1u);
  EXPECT_EQ(resumes[0]["step"], stopped_at);
  EXPECT_EQ(metrics_records(sweep / "trial-000", "start").size(), 1u);
  for (const char* t : {"trial-000", "trial-001"})
    EXPECT_EQ(metrics_records(sweep / t, "done").size(), 1u) << t;
}

// No model needed: the plan is refused (or written, with --mode print) before anything trains.
TEST(SweepPlanCli, BadKeyIsRefusedBeforeAnythingRunsAndAnotherPlanIsRefused) {
  TempDir d;
  write_file(d / "base.toml", "[data]\ntrain = 'train.csv'\n[train]\nmax_steps = 4\n");
  write_file(d / "space.toml", "[params]\n\"train.seed\" = [1, 2]\n");
  auto berth = [&](const std::string& args) {
    return run_command("cd '" + d.path().string() + "' && '" + berth_binary() + "' " + args);
  };
  write_file(d / "bad_space.toml", "[params]\n\"train.seed\" = [1]\n\"optim.lrr\" = [1e-4]\n");
  auto r = berth("sweep --config base.toml --space bad_space.toml --out bad");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad_space.toml:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'optim.lrr'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("optim.lr"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "bad")) << "nothing written";
  // A sweep planned into a directory; another sweep into it is refused, naming --out.
  write_file(d / "other_space.toml", "[params]\n\"train.seed\" = [5]\n");
  ASSERT_EQ(berth("sweep --config base.toml --space other_space.toml --out o --mode print "
                  "--sbatch-script '" +
                  (source_dir() / "slurm/sweep.sbatch").string() + "'")
                .exit_code,
            0);
  auto clash = berth("sweep --config base.toml --space space.toml --out o --mode print");
  EXPECT_EQ(clash.exit_code, 2);
  EXPECT_NE(clash.err.find("holds another sweep"), std::string::npos) << clash.err;
  EXPECT_NE(clash.err.find("--out"), std::string::npos) << clash.err;
}

}  // namespace
}  // namespace berth::test
