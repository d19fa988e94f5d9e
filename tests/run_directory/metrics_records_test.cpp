// metrics.jsonl through the run directory's writer and reader: typed records with the schema
// version, lines a crash or a newer writer left skipped and counted, the curves of a record,
// train.metric read from a saved config, and the layout's names.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "common/error.h"
#include "run_directory/curves.h"
#include "run_directory/metrics_reader.h"
#include "run_directory/metrics_writer.h"
#include "run_directory/run_layout.h"
#include "run_directory/saved_config.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace rd = run_directory;
using rd::RecordType;

TEST(MetricsRecords, WrittenRecordsReadBackTypedWithTheSchemaVersion) {
  TempDir d;
  std::vector<rd::Record> seen;
  {
    rd::MetricsWriter w(d / "metrics.jsonl");
    w.add_sink([&](const rd::Record& r) { seen.push_back(r); });
    w.write(RecordType::kStart, 0, {{"restart", 0}});
    w.write(RecordType::kEval, 5, {{"split", "dev"}, {"micro_f1", 0.75}});
  }
  {
    std::ofstream out(d / "metrics.jsonl", std::ios::app);
    out << "{\"type\":\"from_the_future\",\"step\":6}\n{\"type\": \"train\", \"st";
  }
  auto f = rd::read_metrics(d / "metrics.jsonl", "test");
  ASSERT_EQ(f.records.size(), 2u);
  EXPECT_EQ(f.bad_lines, 2);
  EXPECT_EQ(f.records[0].type, RecordType::kStart);
  EXPECT_EQ(f.records[1].type, RecordType::kEval);
  EXPECT_EQ(f.records[1].step, 5);
  EXPECT_EQ(f.records[1].schema, rd::kSchemaVersion);
  EXPECT_GT(f.records[1].time, 1.6e9);
  EXPECT_EQ(f.records[1].split(), "dev");
  EXPECT_EQ(f.records[1].fields["type"], "eval");
  // The sinks see what the file holds.
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].fields, f.records[1].fields);
}

TEST(MetricsRecords, RecordsOfTheFirstSchemaReadAsVersionOne) {
  auto r = rd::parse_record(R"({"type":"test","step":3,"accuracy":0.5,"time":12.5})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->schema, 1);
  EXPECT_EQ(r->type, RecordType::kTest);
  EXPECT_EQ(r->split(), "test");
  EXPECT_EQ(r->time, 12.5);
  EXPECT_FALSE(rd::parse_record("[1, 2]"));
  EXPECT_FALSE(rd::parse_record(R"({"step": 1})"));
}

TEST(MetricsRecords, AMissingFileIsAnErrorNamingItForWholeReadsOnly) {
  TempDir d;
  EXPECT_EQ(rd::for_each_record(d / "none.jsonl", [](const rd::Record&) { FAIL(); }), 0);
  try {
    rd::read_metrics(d / "none.jsonl", "report");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("none.jsonl"), std::string::npos) << e.what();
  }
}

TEST(Curves, ValuesPerLabelF1AndTheRankedMetric) {
  auto r = rd::parse_record(
      R"({"type":"eval","step":1,"loss":0.5,"accuracy":0.25,"macro_f1":null,
          "per_class_f1":{"a":0.5,"b":0.75}})");
  ASSERT_TRUE(r);
  auto v = rd::curve_values(*r);
  EXPECT_EQ(v.size(), 2u);  // a null is no value
  EXPECT_EQ(v["accuracy"], 0.25);
  EXPECT_EQ(rd::per_label_f1(*r).at("b"), 0.75);
  // Single-label records carry no micro_f1: it is the accuracy, as the trainer ranks it.
  EXPECT_EQ(rd::metric_value(v, Metric::kMicroF1), 0.25);
  EXPECT_EQ(rd::metric_value(v, Metric::kLoss), 0.5);
  EXPECT_TRUE(std::isnan(rd::metric_value(v, Metric::kMacroF1)));
  v["micro_f1"] = 0.875;
  EXPECT_EQ(rd::metric_value(v, Metric::kMicroF1), 0.875);
  auto t = rd::parse_record(R"({"type":"test","step":1,"per_class":{"a":{"f1":0.125}}})");
  EXPECT_EQ(rd::per_label_f1(*t).at("a"), 0.125);
  EXPECT_TRUE(rd::curves(RecordType::kDone).empty());
}

TEST(SavedConfig, TrainMetricFromTheConfigText) {
  EXPECT_EQ(rd::metric_of("[train]\nmetric = 'micro_f1'\n"), Metric::kMicroF1);
  EXPECT_EQ(rd::metric_of("[data]\nmetric = 'loss'\n[train]\nseed = 1\n"), Metric::kAccuracy);
  EXPECT_EQ(rd::metric_of("[train]\nmetric = \"loss\" # a comment\n"), Metric::kLoss);
  EXPECT_EQ(rd::metric_of("not = [toml"), Metric::kAccuracy);
}

TEST(RunLayout, NamesInsideTheRunDirectory) {
  rd::RunLayout a("runs/x");
  EXPECT_EQ(a.metrics(), std::filesystem::path("runs/x/metrics.jsonl"));
  EXPECT_EQ(a.checkpoints(), std::filesystem::path("runs/x/checkpoints"));
  EXPECT_EQ(a.rank_log(3), std::filesystem::path("runs/x/logs/rank-3.log"));
  EXPECT_EQ(a.profile(7, 1), std::filesystem::path("runs/x/profile-step-7-rank-1.json"));
  EXPECT_EQ(rd::RunLayout("runs/x", "/scratch/ck").checkpoints(),
            std::filesystem::path("/scratch/ck"));
}

}  // namespace
}  // namespace berth::test
