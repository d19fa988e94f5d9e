// A sweep's leaderboard from hand-written run directories: ranked by the best dev value of
// train.metric (lower first for loss), the step of that evaluation, the test value, the wall
// time of its processes, failed and unevaluated trials last with their exit code and log tail.
#include "report/sweep_leaderboard.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/test_support.h"

namespace berth::report {
namespace {

namespace fs = std::filesystem;

std::string rec(const std::string& type, int step, double time, const std::string& more = "") {
  std::ostringstream o;
  o << "{\"type\":\"" << type << "\",\"step\":" << step << ",\"time\":" << time << ",\"schema\":2"
    << more << "}\n";
  return o.str();
}
std::string eval(int step, double time, double acc, double loss) {
  return rec("eval", step, time,
             ",\"split\":\"dev\",\"accuracy\":" + std::to_string(acc) +
                 ",\"loss\":" + std::to_string(loss));
}

// trial-000: best accuracy 0.8 at step 10 (loss 0.5 there, 0.4 at step 20), test 0.75, 100 s.
// trial-001: accuracy 0.9 at step 20 (loss 0.45), two processes of 30 s and 20 s.
// trial-002: failed (exit 3) before any evaluation.
void write_sweep(const fs::path& dir, const std::string& metric) {
  test::write_file(dir / "sweep.toml",
                   "base_config = '/b.toml'\nspace = '/s.toml'\nmethod = \"grid\"\nseed = 0\n"
                   "overrides = []\nkeys = ['optim.lr']\n"
                   "[[trial]]\nname = 'trial-000'\nvalues = ['1e-05']\n"
                   "[[trial]]\nname = 'trial-001'\nvalues = ['3e-05']\n"
                   "[[trial]]\nname = 'trial-002'\nvalues = ['5e-05']\n");
  for (const char* t : {"trial-000", "trial-001", "trial-002"}) {
    fs::create_directories(dir / t);
    test::write_file(dir / t / "config.toml", "[train]\nmetric = \"" + metric + "\"\n");
  }
  test::write_file(dir / "trial-000/metrics.jsonl",
                   rec("start", 0, 1000) + eval(10, 1050, 0.8, 0.5) + eval(20, 1090, 0.7, 0.4) +
                       rec("test", 20, 1095, ",\"split\":\"test\",\"accuracy\":0.75,\"loss\":0.6") +
                       rec("done", 20, 1100));
  test::write_file(dir / "trial-001/metrics.jsonl",
                   rec("start", 0, 2000) + rec("stopped", 12, 2030) + rec("resume", 12, 2100) +
                       eval(20, 2110, 0.9, 0.45) + rec("done", 20, 2120));
  test::write_file(dir / "trial-002/metrics.jsonl", rec("start", 0, 3000));
  test::write_file(dir / "trial-002/exit-code", "3\n");
  test::write_file(dir / "trial-002/train.log", "berth: error: [data] cannot read x.csv\n");
}

TEST(SweepLeaderboard, RanksByTheBestDevMetric) {
  test::TempDir dir;
  write_sweep(dir.path(), "accuracy");
  ASSERT_TRUE(is_sweep_dir(dir.path()));
  const auto b = read_leaderboard(dir.path());
  ASSERT_EQ(b.rows.size(), 3u);
  EXPECT_EQ(b.rows[0].trial, "trial-001");
  EXPECT_DOUBLE_EQ(b.rows[0].best_dev, 0.9);
  EXPECT_EQ(b.rows[0].best_step, 20);
  EXPECT_FALSE(b.rows[0].test);
  EXPECT_DOUBLE_EQ(b.rows[0].wall_s, 30 + 20);
  EXPECT_EQ(b.rows[1].trial, "trial-000");
  EXPECT_DOUBLE_EQ(b.rows[1].best_dev, 0.8);
  EXPECT_EQ(b.rows[1].best_step, 10);
  ASSERT_TRUE(b.rows[1].test);
  EXPECT_DOUBLE_EQ(*b.rows[1].test, 0.75);
  EXPECT_DOUBLE_EQ(b.rows[1].wall_s, 100);
  EXPECT_EQ(b.rows[2].trial, "trial-002");
  EXPECT_EQ(b.rows[2].status.state, sweep::TrialState::kFailed);
  ASSERT_NE(b.best(), nullptr);
  EXPECT_EQ(b.best()->trial, "trial-001");

  const auto j = to_json(b);
  EXPECT_EQ(j["metric"], "accuracy");
  EXPECT_EQ(j["trials"][0]["values"]["optim.lr"], "3e-05");
  EXPECT_EQ(j["trials"][2]["status"], "failed");
  EXPECT_EQ(j["trials"][2]["exit_code"], 3);
  EXPECT_NE(j["trials"][2]["log_tail"].get<std::string>().find("cannot read x.csv"),
            std::string::npos);
  EXPECT_TRUE(j["trials"][2]["best_dev"].is_null());
  EXPECT_EQ(j["best"]["trial"], "trial-001");

  const auto html = render_sweep_report(b);
  EXPECT_NE(html.find("cannot read x.csv"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(leaderboard_text(b).find("best: trial-001"), std::string::npos);
}

TEST(SweepLeaderboard, LossRanksLowestFirst) {
  test::TempDir dir;
  write_sweep(dir.path(), "loss");
  const auto b = read_leaderboard(dir.path());
  EXPECT_EQ(b.metric, Metric::kLoss);
  EXPECT_EQ(b.rows[0].trial, "trial-000");
  EXPECT_DOUBLE_EQ(b.rows[0].best_dev, 0.4);
  EXPECT_EQ(b.rows[0].best_step, 20);
  ASSERT_TRUE(b.rows[0].test);
  EXPECT_DOUBLE_EQ(*b.rows[0].test, 0.6);
  EXPECT_EQ(b.rows[1].trial, "trial-001");
}

TEST(SweepLeaderboard, ARunDirectoryIsNotASweep) {
  test::TempDir dir;
  test::write_file(dir / "metrics.jsonl", rec("start", 0, 1));
  EXPECT_FALSE(is_sweep_dir(dir.path()));
}

}  // namespace
}  // namespace berth::report
