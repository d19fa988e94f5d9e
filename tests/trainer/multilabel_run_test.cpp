// Multi-label end to end on a tiny random BERT (2 layers, hidden 32, 3 labels): `berth prep`
// of a JSONL array column and of a CSV '|' column, `berth train` whose first steps match
// transformers' own multi-label loss (problem_type = multi_label_classification), thresholds
// tuned on dev and stored in the checkpoint, then `berth eval` and `berth predict` on it, and
// transformers loading the checkpoint as multi-label with Berth's logits.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Row i carries the labels of the bits of (i % 7) + 1 (every non-empty subset of c0, c1, c2);
// its text has words of each of its labels' groups, so the sets are learnable.
std::vector<std::pair<std::string, std::vector<std::string>>> learnable_sets(int rows, int shift) {
  static const char* words[3][6] = {{"sunny", "bright", "warm", "summer", "beach", "light"},
                                    {"rain", "storm", "cold", "winter", "snow", "dark"},
                                    {"code", "compile", "linker", "kernel", "thread", "build"}};
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (int i = 0; i < rows; ++i) {
    const int set = (i + shift) % 7 + 1;
    std::string text;
    std::vector<std::string> labels;
    for (int c = 0; c < 3; ++c) {
      if (!(set & (1 << c))) continue;
      labels.push_back("c" + std::to_string(c));
      for (int w = 0; w < 2 + (i + c) % 3; ++w)
        text += std::string(text.empty() ? "" : " ") + words[c][(i + w * 5 + c) % 6];
    }
    out.emplace_back(text, labels);
  }
  return out;
}

std::string as_jsonl(const std::vector<std::pair<std::string, std::vector<std::string>>>& rows) {
  std::string s;
  for (const auto& [text, labels] : rows)
    s += json({{"text", text}, {"tags", labels}}).dump() + "\n";
  return s;
}

std::string as_csv(const std::vector<std::pair<std::string, std::vector<std::string>>>& rows) {
  std::string s = "text,tags\n";
  for (const auto& [text, labels] : rows) {
    std::string joined;
    for (const auto& l : labels) joined += (joined.empty() ? "" : "|") + l;
    s += "\"" + text + "\"," + joined + "\n";
  }
  return s;
}

class MultiLabelRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    run_python("make_tiny_model.py '" + (*dir_ / "tiny").string() + "' '" +
               default_model().string() + "' 3 0.0");
    write_file(*dir_ / "train.jsonl", as_jsonl(learnable_sets(70, 0)));
    write_file(*dir_ / "dev.csv", as_csv(learnable_sets(21, 3)));
    write_file(*dir_ / "test.csv", as_csv(learnable_sets(21, 5)));
  }
  static void TearDownTestSuite() { delete dir_; }

  std::string berth(const std::string& args) { return "'" + berth_binary() + "' " + args; }

  std::string config(const std::string& run) {
    std::ostringstream c;
    c << "[model]\npath = '" << (*dir_ / "tiny").string() << "'\n"
      << "[data]\ntrain = '" << (*dir_ / "train.jsonl").string() << "'\n"
      << "dev = '" << (*dir_ / "dev.csv").string() << "'\n"
      << "label_column = 'tags'\nmulti_label = true\n"
      << "batch_size = 8\nmax_length = 32\ncache_dir = '" << (*dir_ / "cache").string() << "'\n"
      << "[optim]\nlr = 5e-3\nwarmup_steps = 2\nmax_grad_norm = 1.0\n"
      << "[train]\nmax_steps = 6\nlog_every = 1\nseed = 7\nmetric = 'micro_f1'\nrun_dir = '"
      << (*dir_ / run).string() << "'\n[checkpoint]\nkeep_last = 1\nkeep_best = 1\n"
      << "[runtime]\nthreads = 1\n";
    auto path = *dir_ / (run + ".toml");
    write_file(path, c.str());
    return path.string();
  }

  static TempDir* dir_;
};

TempDir* MultiLabelRun::dir_ = nullptr;

TEST_F(MultiLabelRun, PrepStoresLabelSetsFromJsonArraysAndSeparatedCells) {
  auto a =
      run_command(berth("prep --model '" + (*dir_ / "tiny").string() + "' --input '" +
                        (*dir_ / "train.jsonl").string() + "' --out '" +
                        (*dir_ / "train.h5").string() + "' --label-column tags --multi-label"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto b = run_command(berth("prep --model '" + (*dir_ / "tiny").string() + "' --input '" +
                             (*dir_ / "dev.csv").string() + "' --out '" +
                             (*dir_ / "dev.h5").string() + "' --label-column tags --labels-from '" +
                             (*dir_ / "train.h5").string() + "'"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  // h5py reads what the docs promise: label_names, label_set_offsets/ids, problem_type.
  auto r = run_python("multilabel_oracle.py corpus '" + (*dir_ / "dev.h5").string() + "'");
  auto j = json::parse(r.out);
  EXPECT_EQ(j["names"], json({"c0", "c1", "c2"}));
  EXPECT_EQ(j["n"], 21);
  EXPECT_EQ(j["first"], json({2}));     // dev row 0: set (0 + 3) % 7 + 1 = 4 = {c2}
  EXPECT_EQ(j["third"], json({1, 2}));  // dev row 2: set 6 = {c1, c2}
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["problem"], "multi_label_classification");
  EXPECT_EQ(j["labels"], false);
}

fs::path only_corpus(const fs::path& cache, const std::string& stem) {
  for (const auto& e : fs::directory_iterator(cache))
    if (e.path().filename().string().rfind(stem + "-", 0) == 0 && e.path().extension() == ".h5")
      return e.path();
  return {};
}

// Berth's first steps against transformers' own multi-label loss (the oracle builds the model
// with problem_type = multi_label_classification and calls it with float multi-hot labels): equal
// losses step after step mean equal losses and gradients through AdamW.
TEST_F(MultiLabelRun, FirstStepsMatchTransformersMultiLabelLoss) {
  auto cfg = config("parity");
  auto trace = (*dir_ / "parity.trace").string();
  auto r = run_command(berth("train --config '" + cfg + "' --set data.dev='\"\"' " +
                             "--trace-batches '" + trace + "'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto corpus = only_corpus(*dir_ / "cache", "train");
  ASSERT_FALSE(corpus.empty());
  auto ref = json::parse(run_python("training_oracle.py '" + (*dir_ / "tiny").string() + "' '" +
                                    corpus.string() + "' '" + trace + ".0' 6 1 5e-3 2 6 0.01 1.0")
                             .out);
  auto mine = train_losses(*dir_ / "parity");
  ASSERT_EQ(mine.size(), 6u);
  for (int s = 0; s < 6; ++s)
    EXPECT_NEAR(mine[s + 1], ref[s].get<double>(), 1e-4) << "step " << s + 1;
  EXPECT_GT(std::abs(mine[1] - mine[6]), 1e-3) << "the loss never moved: the test proves nothing";
  auto config_json =
      json::parse(read_file(checkpoint_step_dir(*dir_ / "parity", 6) / "config.json"));
  EXPECT_EQ(config_json["problem_type"], "multi_label_classification");
}

// Train with thresholds tuned on dev; the best checkpoint carries them; `berth eval` reports
// what scikit-learn computes from `berth predict`'s probabilities at those thresholds; predict
// lists the labels over their thresholds; transformers reads the checkpoint as multi-label.
TEST_F(MultiLabelRun, TunedThresholdsReachEvalAndPredict) {
  auto cfg = config("tuned");
  auto r = run_command(berth("train --config '" + cfg + "' --tune-thresholds --set " +
                             "train.max_steps=40 --set train.eval_every=20 --set optim.lr=1e-2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto best = *dir_ / "tuned" / "checkpoints" / "best";
  ASSERT_TRUE(fs::exists(best / "thresholds.json")) << r.err;
  auto th = json::parse(read_file(best / "thresholds.json"));
  ASSERT_EQ(th["thresholds"].size(), 3u);
  // The dev records say micro_f1 and that the thresholds were tuned.
  bool saw_eval = false;
  for (const auto& rec : metrics_records(*dir_ / "tuned", "eval")) {
    saw_eval = true;
    EXPECT_TRUE(rec.contains("micro_f1")) << rec.dump();
    EXPECT_EQ(rec["thresholds_tuned"], true);
  }
  EXPECT_TRUE(saw_eval);

  auto ev = run_command(berth("eval --checkpoint '" + best.string() + "' --input '" +
                              (*dir_ / "test.csv").string() + "' --label-column tags --json"));
  ASSERT_EQ(ev.exit_code, 0) << ev.err;
  auto rep = json::parse(ev.out);
  EXPECT_EQ(rep["problem_type"], "multi_label_classification");
  EXPECT_EQ(rep["total"], 21);
  for (const auto& name : {"c0", "c1", "c2"})
    EXPECT_DOUBLE_EQ(rep["per_class"][name]["threshold"].get<double>(),
                     th["thresholds"][name].get<double>());

  auto pr = run_command(berth("predict --checkpoint '" + best.string() + "' --input '" +
                              (*dir_ / "test.csv").string() + "' --output '" +
                              (*dir_ / "pred.jsonl").string() + "'"));
  ASSERT_EQ(pr.exit_code, 0) << pr.err;
  // scikit-learn's micro/macro F1 and subset accuracy from predict's probabilities and the
  // stored thresholds, against eval's report.
  auto sk =
      run_python("multilabel_oracle.py metrics '" + (best / "thresholds.json").string() + "' '" +
                 (*dir_ / "pred.jsonl").string() + "' '" + (*dir_ / "test.csv").string() + "'");
  auto want = json::parse(sk.out);
  EXPECT_TRUE(want["listed"].get<bool>()) << "predict's labels are not those over threshold";
  EXPECT_NEAR(rep["micro_f1"].get<double>(), want["micro"].get<double>(), 1e-9);
  EXPECT_NEAR(rep["macro_f1"].get<double>(), want["macro"].get<double>(), 1e-9);
  EXPECT_NEAR(rep["subset_accuracy"].get<double>(), want["subset"].get<double>(), 1e-9);
  EXPECT_GT(rep["micro_f1"].get<double>(), 0.5) << "the tiny model learned nothing";

  // transformers: the checkpoint is multi-label and gives Berth's probabilities (sigmoid).
  auto hf =
      run_python("multilabel_oracle.py hf '" + best.string() + "' '" +
                 (*dir_ / "pred.jsonl").string() + "' '" + (*dir_ / "test.csv").string() + "'");
  auto h = json::parse(hf.out.substr(hf.out.rfind('{')));
  EXPECT_EQ(h["problem"], "multi_label_classification");
  EXPECT_LE(h["diff"].get<double>(), 1e-5);
}

}  // namespace
}  // namespace berth::test
