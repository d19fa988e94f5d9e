// The TensorBoard event writer: CRC32C, torn tails, and the one-file directory that a resumed
// run rewrites (no step twice, nothing after the resumed step kept). The format itself is
// checked against the tensorboard package's readers in observed_run_test.cpp and against
// TensorBoard's default loader (the data server) in tensorboard_server_test.cpp.
#include "trainer/tensorboard_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>

#include "run_directory/curves.h"
#include "tests/support/test_support.h"
#include "trainer/tensorboard_sink.h"
#include "trainer/tfevents.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
namespace tfe = trainer::tfevents;
using trainer::TensorBoardWriter;

std::map<std::pair<std::string, int64_t>, double> scalars(const fs::path& dir) {
  std::map<std::pair<std::string, int64_t>, double> m;
  for (const auto& s : TensorBoardWriter::read_dir(dir)) {
    auto [it, fresh] = m.emplace(std::make_pair(s.tag, s.step), s.value);
    EXPECT_TRUE(fresh) << s.tag << " written twice at step " << s.step;
  }
  return m;
}

using Scalars = std::map<std::pair<std::string, int64_t>, double>;
double at(const Scalars& m, const std::string& tag, int64_t step) {
  auto it = m.find({tag, step});
  return it == m.end() ? NAN : it->second;
}
// What a value reads back as: event files hold float32 (tfevents.h says why).
double f32(double v) {
  return static_cast<float>(v);
}
bool has(const Scalars& m, const std::string& tag, int64_t step) {
  return m.count({tag, step});
}

run_directory::Record record(const nlohmann::json& j) {
  auto r = run_directory::parse_record(j.dump());
  EXPECT_TRUE(r) << j.dump();
  return r.value_or(run_directory::Record{});
}

size_t event_files(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.path().filename().string().find("tfevents") != std::string::npos;
  return n;
}

TEST(TfEvents, Crc32cMatchesTheStandardCheckValue) {
  EXPECT_EQ(tfe::crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(tfe::crc32c("", 0), 0u);
}

TEST(TfEvents, ScalarEventsRoundTripAndATornTailIsDropped) {
  TempDir d;
  std::string bytes;
  for (int i = 0; i < 3; ++i)
    bytes += tfe::frame_record(tfe::scalar_event({"train/loss", i, 0.1 * i, 1000.0 + i}));
  auto path = d / "f";
  write_file(path, bytes + bytes.substr(0, 20));  // a crash mid-record
  std::ifstream in(path, std::ios::binary);
  uint64_t good = 0;
  auto records = tfe::read_records(in, &good);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(good, bytes.size());
  auto s = tfe::parse_scalar_event(records[2]);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tag, "train/loss");
  EXPECT_EQ(s->step, 2);
  EXPECT_EQ(s->value, static_cast<float>(0.2));  // float32 (tfevents.h)
  EXPECT_EQ(s->wall_time, 1002.0);
  EXPECT_FALSE(tfe::parse_scalar_event(tfe::file_version_event(1.0)));
}

TEST(TensorBoardWriter, ReopeningKeepsOnlyStepsUpToTheResumedOneInOneFile) {
  TempDir d;
  {
    TensorBoardWriter w(d.path(), -1);
    for (int s = 1; s <= 6; ++s) w.add({"train/loss", s, 1.0 / s, 0});
  }
  {
    TensorBoardWriter w(d.path(), 3);  // resumed from step 3: 4..6 were abandoned
    for (int s = 4; s <= 5; ++s) w.add({"train/loss", s, 10.0 + s, 0});
  }
  auto m = scalars(d.path());
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(at(m, "train/loss", 3), f32(1.0 / 3));
  EXPECT_EQ(at(m, "train/loss", 4), f32(14.0));
  EXPECT_EQ(at(m, "train/loss", 5), f32(15.0));
  EXPECT_EQ(event_files(d.path()), 1u);
  TensorBoardWriter fresh(d.path(), -1);  // a new run from scratch
  EXPECT_TRUE(scalars(d.path()).empty());
}

// Berth wrote DT_DOUBLE tensors before issue 30 (which TensorBoard's default loader drops):
// such a file is still read, and reopening the directory (a resume) rewrites it as DT_FLOAT.
TEST(TensorBoardWriter, ADoubleScalarFromAnOlderBuildIsReadAndRewrittenAsFloat) {
  auto field = [](int key, const std::string& payload) {  // every length here is < 128
    return std::string(1, static_cast<char>(key)) +
           std::string(1, static_cast<char>(payload.size())) + payload;
  };
  const double v = 1.0 / 3;
  std::string bits(8, '\0');
  std::memcpy(bits.data(), &v, 8);
  // TensorProto{dtype: DT_DOUBLE (2), tensor_shape: {}, double_val: [v]}
  const std::string tensor = std::string("\x08\x02\x12\x00", 4) + field(0x32, bits);
  const std::string value = field(0x0a, "train/loss") + field(0x42, tensor);
  const std::string event = std::string("\x10\x07", 2) + field(0x2a, field(0x0a, value));
  TempDir d;
  write_file(d / "events.out.tfevents.1.old.1.1.berth", tfe::frame_record(event));
  auto m = scalars(d.path());
  EXPECT_EQ(at(m, "train/loss", 7), 1.0 / 3);  // the double, as written
  TensorBoardWriter reopened(d.path(), 10);
  m = scalars(d.path());
  EXPECT_EQ(at(m, "train/loss", 7), f32(1.0 / 3));  // rewritten as float32
  EXPECT_EQ(event_files(d.path()), 1u);
}

TEST(TensorBoardWriter, ATagWrittenAgainAtAStepReplacesTheEarlierValue) {
  TempDir d;
  TensorBoardWriter w(d.path(), -1);
  w.add({"dev/accuracy", 10, 0.5, 0});
  w.add({"train/loss", 10, 0.7, 0});
  w.add({"dev/accuracy", 10, 0.75, 0});
  auto m = scalars(d.path());
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(at(m, "dev/accuracy", 10), f32(0.75));
  EXPECT_EQ(event_files(d.path()), 1u);
}

TEST(TensorBoardWriter, FilesLeftByACrashedRewriteAreMerged) {
  TempDir d;
  {
    TensorBoardWriter w(d.path(), -1);
    w.add({"train/loss", 1, 1.0, 0});
    w.add({"train/loss", 2, 2.0, 0});
  }
  // A second file holding a subset, as when a crash hit between a rewrite's rename and the
  // removal of the old file; plus a torn record at its end.
  write_file(d / "events.out.tfevents.9999999999.host.1.1.berth",
             tfe::frame_record(tfe::scalar_event({"train/loss", 1, 1.0, 0})) + "\x05\x00");
  TensorBoardWriter w(d.path(), 5);
  auto m = scalars(d.path());
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(event_files(d.path()), 1u);
}

TEST(TensorBoardSink, MapsMetricsRecordsToTags) {
  TempDir d;
  trainer::TensorBoardSink tb((d / "tb").string());
  auto sink = [&](const nlohmann::json& j) { tb(record(j)); };
  sink({{"type", "start"}, {"step", 0}});
  sink({{"type", "train"},
        {"step", 2},
        {"mean_loss", 0.5},
        {"loss", 0.4},
        {"lr", 1e-4},
        {"grad_norm", nullptr},
        {"samples_per_s", 10.0},
        {"tokens_per_s", 100.0},
        {"epoch", 1},
        {"loss_scale", 65536.0},
        {"comm_wait_fraction", 0.25},
        {"time", 5.0}});
  sink({{"type", "eval"},
        {"split", "dev"},
        {"step", 2},
        {"loss", 0.6},
        {"accuracy", 0.8},
        {"macro_f1", 0.7},
        {"per_class_f1", {{"a", 0.6}, {"b", 0.8}}}});
  sink({{"type", "test"},
        {"split", "test"},
        {"step", 2},
        {"loss", 0.65},
        {"accuracy", 0.75},
        {"macro_f1", 0.7},
        {"per_class", {{"a", {{"f1", 0.5}, {"precision", 1.0}}}}}});
  auto m = scalars(d / "tb");
  EXPECT_EQ(at(m, "train/loss", 2), f32(0.5));  // the window's mean
  EXPECT_EQ(at(m, "train/lr", 2), f32(1e-4));
  EXPECT_FALSE(has(m, "train/grad_norm", 2));  // null (an fp16 overflow) is not a value
  EXPECT_EQ(at(m, "train/loss_scale", 2), f32(65536.0));
  EXPECT_EQ(at(m, "train/comm_wait_fraction", 2), f32(0.25));
  EXPECT_EQ(at(m, "dev/f1/b", 2), f32(0.8));
  EXPECT_EQ(at(m, "test/f1/a", 2), f32(0.5));
  EXPECT_EQ(at(m, "test/accuracy", 2), f32(0.75));
  EXPECT_EQ(m.size(), 7u + 5u + 4u);
}

// The bug of issue 24: a multi-label run ranked by micro_f1 wrote it to metrics.jsonl, but
// TensorBoard dropped it.
TEST(TensorBoardSink, MultiLabelEvaluationsShowMicroF1AndSubsetAccuracy) {
  TempDir d;
  trainer::TensorBoardSink tb((d / "tb").string());
  tb(record({{"type", "start"}, {"step", 0}}));
  tb(record({{"type", "eval"},
             {"split", "dev"},
             {"step", 3},
             {"loss", 0.3},
             {"accuracy", 0.4},
             {"subset_accuracy", 0.4},
             {"micro_f1", 0.8},
             {"macro_f1", 0.7},
             {"problem_type", "multi_label_classification"}}));
  auto m = scalars(d / "tb");
  EXPECT_EQ(at(m, "dev/micro_f1", 3), f32(0.8));
  EXPECT_EQ(at(m, "dev/subset_accuracy", 3), f32(0.4));
}

// A curve listed once in run_directory/curves.h is a tag, with no change here.
TEST(TensorBoardSink, EveryCurveOfTheSchemaIsATag) {
  using run_directory::RecordType;
  TempDir d;
  trainer::TensorBoardSink tb((d / "tb").string());
  tb(record({{"type", "start"}, {"step", 0}}));
  nlohmann::json train = {{"type", "train"}, {"step", 1}};
  nlohmann::json eval = {{"type", "eval"}, {"split", "dev"}, {"step", 1}};
  double v = 1;
  for (const auto& c : run_directory::curves(RecordType::kTrain)) train[c.key] = v++;
  for (const auto& c : run_directory::curves(RecordType::kEval)) eval[c.key] = v++;
  tb(record(train));
  tb(record(eval));
  auto m = scalars(d / "tb");
  for (const auto& c : run_directory::curves(RecordType::kTrain))
    EXPECT_EQ(at(m, std::string("train/") + c.name, 1), train[c.key].get<double>()) << c.name;
  for (const auto& c : run_directory::curves(RecordType::kEval))
    EXPECT_EQ(at(m, std::string("dev/") + c.name, 1), eval[c.key].get<double>()) << c.name;
}

}  // namespace
}  // namespace berth::test
