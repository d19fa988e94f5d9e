// `berth report`'s page from a made-up run: resumes replayed as the trainer lived them, every
// section present, nothing fetched from elsewhere, and a damaged checkpoint shown as such.
#include "report/html_report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <tuple>

#include "checkpoint/checkpoint_writer.h"
#include "common/error.h"
#include "report/run_history.h"
#include "report/svg_chart.h"
#include "run_directory/curves.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

// start -> steps 1..6 logged, crash (no record) -> resume from 4 -> stop at 8 -> resume (a Slurm
// requeue) -> done at 10 with a test.
std::string made_up_metrics() {
  std::string m;
  auto line = [&](nlohmann::json j) { m += j.dump() + "\n"; };
  double t = 1.7e9;
  line({{"type", "start"}, {"step", 0}, {"restart", 0}, {"total_steps", 10}, {"time", t}});
  for (int s = 1; s <= 6; ++s)
    line({{"type", "train"},
          {"step", s},
          {"epoch", 1},
          {"mean_loss", 2.0 - 0.1 * s},
          {"lr", 1e-4},
          {"samples_per_s", 50.0},
          {"tokens_per_s", 900.0},
          {"time", t + s}});
  line({{"type", "eval"},
        {"step", 6},
        {"epoch", 1},
        {"loss", 1.9},
        {"accuracy", 0.1},
        {"macro_f1", 0.1},
        {"time", t + 6}});
  line({{"type", "resume"}, {"step", 4}, {"restart", 1}, {"total_steps", 10}, {"time", t + 60}});
  for (int s = 5; s <= 8; ++s)
    line({{"type", "train"},
          {"step", s},
          {"epoch", 1},
          {"mean_loss", 1.0 - 0.05 * s},
          {"lr", 5e-5},
          {"samples_per_s", 60.0},
          {"tokens_per_s", 1000.0},
          {"time", t + 60 + s}});
  line({{"type", "eval"},
        {"step", 8},
        {"epoch", 1},
        {"loss", 0.7},
        {"accuracy", 0.8},
        {"macro_f1", 0.75},
        {"time", t + 70}});
  line({{"type", "stopped"}, {"step", 8}, {"time", t + 71}});
  line({{"type", "resume"},
        {"step", 8},
        {"restart", 2},
        {"total_steps", 10},
        {"slurm_job_id", "4242"},
        {"slurm_restart_count", 1},
        {"time", t + 200}});
  for (int s = 9; s <= 10; ++s)
    line({{"type", "train"},
          {"step", s},
          {"epoch", 2},
          {"mean_loss", 0.5},
          {"lr", 1e-5},
          {"samples_per_s", 55.0},
          {"tokens_per_s", 950.0},
          {"time", t + 200 + s}});
  line({{"type", "eval"},
        {"step", 10},
        {"epoch", 2},
        {"loss", 0.8},
        {"accuracy", 0.7},
        {"macro_f1", 0.65},
        {"time", t + 212}});
  line({{"type", "test"},
        {"split", "test"},
        {"step", 10},
        {"loss", 0.75},
        {"accuracy", 0.75},
        {"macro_f1", 0.7},
        {"total", 8},
        {"labels", {"games", "sound<&>"}},
        {"per_class",
         {{"games", {{"precision", 0.8}, {"recall", 0.7}, {"f1", 0.75}, {"support", 4}}},
          {"sound<&>", {{"precision", 0.6}, {"recall", 0.7}, {"f1", 0.65}, {"support", 4}}}}},
        {"confusion_matrix", {{3, 1}, {1, 3}}},
        {"weights", "best checkpoint (step 8)"},
        {"time", t + 213}});
  line({{"type", "done"}, {"step", 10}, {"train_seconds", 123.0}, {"time", t + 214}});
  return m + "{\"type\": \"train\", \"st";  // a torn last line
}

TEST(RunHistory, ResumesDropTheAbandonedStepsAndSessionsEndAsTheyDid) {
  TempDir d;
  write_file(d / "metrics.jsonl", made_up_metrics());
  auto h = report::read_run_history((d / "metrics.jsonl").string());
  ASSERT_EQ(h.train.size(), 10u);
  for (size_t i = 0; i < h.train.size(); ++i) EXPECT_EQ(h.train[i].step, int64_t(i + 1));
  EXPECT_DOUBLE_EQ(h.train[4].loss, 0.75);  // step 5 from the resumed attempt
  ASSERT_EQ(h.evals.size(), 2u);            // the eval at 6 was abandoned
  EXPECT_EQ(h.evals[0].step, 8);
  ASSERT_EQ(h.sessions.size(), 3u);
  EXPECT_EQ(h.sessions[0].ended, "interrupted");
  EXPECT_EQ(h.sessions[1].ended, "stopped");
  EXPECT_EQ(h.sessions[2].ended, "done");
  EXPECT_EQ(h.sessions[2].slurm_restart, 1);
  EXPECT_EQ(h.bad_lines, 1);
  ASSERT_TRUE(h.test);
}

TEST(HtmlReport, HasEverySectionAndFetchesNothing) {
  TempDir d;
  write_file(d / "metrics.jsonl", made_up_metrics());
  {
    checkpoint::CheckpointWriter w(d / "checkpoints");
    for (int step : {8, 10}) {
      w.write(step,
              [&](const fs::path& dir) {
                write_file(dir / "model.safetensors", std::string(1000, 'x'));
                write_file(dir / "config.toml", "[train]\nmetric = 'macro_f1'\nseed = 42\n");
              },
              {{"reason", step == 8 ? "best" : "end"}});
      if (step == 8) w.mark_best(8);
    }
  }
  write_file(d / "checkpoints" / "step-00000010" / "model.safetensors", std::string(1000, 'y'));
  std::string html = report::render_report({d.path().string()});
  for (const char* needle :
       {"<svg", "Loss", "Learning rate", "Dev metrics per evaluation", "Throughput over time",
        "best checkpoint", "resume 1", "requeue 2", "confusion matrix", "sound&lt;&amp;&gt;",
        "step-00000008", "step-00000010", "seed = 42", "<span class=\"ok\">OK</span>", "checksum",
        "Slurm job", "4242", "best dev macro_f1"})
    EXPECT_NE(html.find(needle), std::string::npos) << needle;
  for (const char* outside : {"<script", "http://", "https://", "src=", "<link", "@import"}) {
    auto at = html.find(outside);
    // The SVG namespace is a name, not a fetch.
    while (at != std::string::npos && html.compare(at, 26, "http://www.w3.org/2000/svg") == 0)
      at = html.find(outside, at + 1);
    EXPECT_EQ(at, std::string::npos) << outside;
  }
}

// Two dev evaluations of a multi-label run, and a checkpoint whose config ranks them by
// `metric` (no best pointer: the report picks the best itself).
fs::path multi_label_run(const TempDir& d, const std::string& metric) {
  std::string m;
  auto line = [&](nlohmann::json j) { m += j.dump() + "\n"; };
  line({{"type", "start"}, {"step", 0}, {"total_steps", 4}, {"time", 1.7e9}});
  for (auto [step, accuracy, micro] : {std::tuple{2, 0.6, 0.7}, std::tuple{4, 0.5, 0.9}})
    line({{"type", "eval"},
          {"split", "dev"},
          {"step", step},
          {"epoch", 1},
          {"loss", 0.3},
          {"accuracy", accuracy},
          {"subset_accuracy", accuracy},
          {"micro_f1", micro},
          {"macro_f1", 0.25},
          {"problem_type", "multi_label_classification"},
          {"time", 1.7e9 + step}});
  write_file(d / "metrics.jsonl", m);
  checkpoint::CheckpointWriter w(d / "checkpoints");
  w.write(4, [&](const fs::path& dir) {
    write_file(dir / "config.toml", "[train]\nmetric = '" + metric + "'\n");
  });
  return d.path();
}

// The bug of issue 24: with train.metric = "micro_f1" the card showed (and ranked by) accuracy.
TEST(HtmlReport, BestDevCardRanksAndShowsTheConfiguredMetric) {
  TempDir d;
  std::string html = report::render_report({multi_label_run(d, "micro_f1").string()});
  EXPECT_NE(html.find("<b>0.9000 @ 4</b><span>best dev micro_f1</span>"), std::string::npos)
      << html.substr(0, 4000);
  TempDir e;
  html = report::render_report({multi_label_run(e, "accuracy").string()});
  EXPECT_NE(html.find("<b>0.6000 @ 2</b><span>best dev accuracy</span>"), std::string::npos);
}

// A curve listed once in run_directory/curves.h is a column of the dev table, with no change
// to the report.
TEST(HtmlReport, EveryEvaluationCurveOfTheSchemaReachesTheDevTable) {
  TempDir d;
  nlohmann::json eval = {{"type", "eval"}, {"step", 1}, {"epoch", 1}};
  const auto& curves = run_directory::curves(run_directory::RecordType::kEval);
  for (size_t i = 0; i < curves.size(); ++i) eval[curves[i].key] = 0.1111 * double(i + 1);
  write_file(d / "metrics.jsonl",
             nlohmann::json({{"type", "start"}, {"step", 0}}).dump() + "\n" + eval.dump() + "\n");
  std::string html = report::render_report({d.path().string()});
  auto table = html.substr(html.find("<h2>Dev evaluations</h2>"));
  for (size_t i = 0; i < curves.size(); ++i) {
    EXPECT_NE(table.find(std::string("<th>") + report::html_escape(curves[i].title) + "</th>"),
              std::string::npos)
        << curves[i].name;
    char value[32];
    std::snprintf(value, sizeof value, "<td>%.4f</td>", 0.1111 * double(i + 1));
    EXPECT_NE(table.find(value), std::string::npos) << curves[i].name;
  }
}

TEST(HtmlReport, ARunDirWithoutMetricsIsAnErrorSayingSo) {
  TempDir d;
  try {
    report::render_report({d.path().string()});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.jsonl"), std::string::npos) << e.what();
  }
}

TEST(SvgChart, TicksAreRoundAndChartsWithoutDataSaySo) {
  auto t = report::nice_ticks(0, 1, 5);
  ASSERT_EQ(t.size(), 6u);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(t[i], 0.2 * i, 1e-12);
  EXPECT_EQ(report::nice_ticks(0, 9.3e-5, 5).size(), 5u);  // 0, 2e-5 .. 8e-5: not just 0, 5e-5
  EXPECT_EQ(report::nice_ticks(3, 97, 5).front(), 20);
  report::LineChart c;
  c.title = "empty";
  EXPECT_NE(report::render_svg(c).find("no data"), std::string::npos);
  EXPECT_EQ(report::html_escape("<a&'\">"), "&lt;a&amp;&#39;&quot;&gt;");
}

}  // namespace
}  // namespace berth::test
