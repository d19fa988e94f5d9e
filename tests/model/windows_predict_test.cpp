// `berth predict` / `berth eval --windows STRIDE`: whole texts in overlapping windows, one line
// (one evaluated example) per text, the windows' logits combined by mean or max; against
// transformers (tests/python/model_oracle.py predict_windows: return_overflowing_tokens windows,
// AutoModelForSequenceClassification, mean/max of the logits, softmax). The aggregation itself
// is checked on numbers worked by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "common/error.h"
#include "model/pretrained.h"
#include "model/window_aggregator.h"
#include "tests/model/model_test_util.h"

namespace berth::test {
namespace {

using nlohmann::json;

TEST(WindowAggregator, MeanAndMaxOfLogitsThenSoftmax) {
  model::WindowAggregator mean(WindowAggregate::kMean), max(WindowAggregate::kMax);
  for (auto* a : {&mean, &max}) {
    a->add({1, 2, 3});
    a->add({3, 0, -1});
  }
  EXPECT_EQ(mean.windows(), 2);
  auto m = mean.result();
  EXPECT_EQ(m.logits, (std::vector<float>{2, 1, 1}));
  EXPECT_EQ(m.label, 0);
  const double z = std::exp(2.0) + 2 * std::exp(1.0);
  EXPECT_NEAR(m.probs[0], std::exp(2.0) / z, 1e-7);
  EXPECT_NEAR(m.probs[1], std::exp(1.0) / z, 1e-7);
  auto x = max.result();
  EXPECT_EQ(x.logits, (std::vector<float>{3, 2, 3}));
  EXPECT_EQ(x.label, 0);  // the first of equal maxima, as argmax
  const double zx = 2 * std::exp(3.0) + std::exp(2.0);
  EXPECT_NEAR(x.probs[1], std::exp(2.0) / zx, 1e-7);
  // One window: its own prediction.
  model::WindowAggregator one(WindowAggregate::kMean);
  one.add({0.5f, -0.5f});
  EXPECT_EQ(one.result().logits, (std::vector<float>{0.5f, -0.5f}));
  EXPECT_THROW(model::WindowAggregator().result(), Error);
}

class WindowsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    model::LoadOptions o;
    o.num_labels = 3;
    o.init_seed = 17;
    auto loaded = model::load_classifier(default_model().string(), o, c10::Device(c10::kCPU));
    {
      at::NoGradGuard no_grad;
      bert_of(loaded).classifier->weight.mul_(20);  // probabilities away from uniform
    }
    model::save_pretrained((*dir_ / "model").string(), *loaded.model, loaded.config,
                           {"a", "b", "c"}, default_model().string());
    std::ostringstream csv;
    csv << "text,label\n"
        << "short and sweet,a\n"
        << "\"" << words(60, 0) << "\",b\n"
        << "one,c\n"
        << "\"" << words(150, 3) << "\",a\n"
        << "\"" << words(14, 5) << "\",b\n"
        << "\"" << words(35, 9) << "\",c\n";
    write_file(*dir_ / "in.csv", csv.str());
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string words(int n, int seed) {
    const char* w[] = {"the",    "film",       "was",   "a",     "gorgeous", "waste",
                       "of",     "two",        "hours", "witty", "dull",     "unbelievably",
                       "moving", "screenplay", ",",     "."};
    std::string s;
    for (int i = 0; i < n; ++i) s += std::string(w[(i * 7 + seed) % 16]) + " ";
    return s;
  }
  static std::string model_dir() { return (*dir_ / "model").string(); }
  static std::string input() { return (*dir_ / "in.csv").string(); }
  static CommandResult berth(const std::string& args) {
    return run_command("'" + berth_binary() + "' " + args);
  }
  static std::vector<json> lines_of(const std::string& out) {
    std::vector<json> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
    return lines;
  }

  static TempDir* dir_;
};
TempDir* WindowsCli::dir_ = nullptr;

TEST_F(WindowsCli, PredictMatchesTransformersOneLinePerText) {
  const std::vector<std::string> names = {"a", "b", "c"};
  for (const char* agg : {"mean", "max"}) {
    auto r = berth("predict --checkpoint '" + model_dir() + "' --input '" + input() +
                   "' --max-length 16 --windows 4 --window-aggregate " + agg + " --batch-size 3");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 6u) << r.out;
    auto hf = json::parse(run_python("model_oracle.py predict_windows '" + model_dir() + "' '" +
                                     input() + "' 16 4 " + agg)
                              .out);
    ASSERT_EQ(hf.size(), 6u);
    EXPECT_GE(hf[3]["windows"].get<int>(), 10) << "the long text should need many windows";
    EXPECT_EQ(hf[0]["windows"].get<int>(), 1);
    double worst = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(lines[i]["row"], i + 1);
      for (size_t k = 0; k < 3; ++k)
        worst = std::max(worst, std::abs(lines[i]["probs"][names[k]].get<double>() -
                                         hf[i]["probs"][k].get<double>()));
    }
    std::cout << "--windows 4 (" << agg << ") vs transformers: max abs diff " << worst << std::endl;
    EXPECT_LE(worst, 1e-5) << agg;
  }
  // Windows matter for a long text, not for one that fits.
  auto plain = lines_of(
      berth("predict --checkpoint '" + model_dir() + "' --input '" + input() + "' --max-length 16")
          .out);
  auto windowed = lines_of(berth("predict --checkpoint '" + model_dir() + "' --input '" + input() +
                                 "' --max-length 16 --windows 4")
                               .out);
  ASSERT_EQ(plain.size(), 6u);
  ASSERT_EQ(windowed.size(), 6u);
  EXPECT_NE(plain[3]["probs"], windowed[3]["probs"]);
  EXPECT_NEAR(plain[0]["score"].get<double>(), windowed[0]["score"].get<double>(), 1e-6);
}

TEST_F(WindowsCli, BatchSizeDoesNotChangeTheResult) {
  std::vector<std::vector<json>> outs;
  for (const char* bs : {"1", "2", "64"}) {
    auto r = berth("predict --checkpoint '" + model_dir() + "' --input '" + input() +
                   "' --max-length 16 --windows 6 --window-aggregate max --batch-size " + bs);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    outs.push_back(lines_of(r.out));
  }
  for (size_t v = 1; v < outs.size(); ++v)
    for (size_t i = 0; i < 6; ++i)
      for (const char* n : {"a", "b", "c"})
        EXPECT_NEAR(outs[v][i]["probs"][n].get<double>(), outs[0][i]["probs"][n].get<double>(),
                    1e-5);
}

TEST_F(WindowsCli, EvalCountsTextsNotWindowsAndRefusesWhatItCannotDo) {
  auto r = berth("eval --checkpoint '" + model_dir() + "' --input '" + input() +
                 "' --max-length 16 --windows 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["total"], 6);

  // A stride as long as a window, a negative one, windows on a tokenized corpus.
  for (const char* bad : {"--windows 14", "--windows=-3"}) {
    auto e = berth("predict --checkpoint '" + model_dir() + "' --input '" + input() +
                   "' --max-length 16 " + bad);
    EXPECT_EQ(e.exit_code, 2) << bad << "\n" << e.err;
    EXPECT_NE(e.err.find("--windows"), std::string::npos) << e.err;
  }
  auto prep = berth("prep --model '" + model_dir() + "' --input '" + input() + "' --out '" +
                    (*dir_ / "in.h5").string() + "' --label-column label");
  ASSERT_EQ(prep.exit_code, 0) << prep.err;
  auto corpus = berth("eval --checkpoint '" + model_dir() + "' --input '" +
                      (*dir_ / "in.h5").string() + "' --windows 4");
  EXPECT_EQ(corpus.exit_code, 2) << corpus.err;
  EXPECT_NE(corpus.err.find("--windows needs the texts"), std::string::npos) << corpus.err;
  auto agg = berth("predict --checkpoint '" + model_dir() + "' --input '" + input() +
                   "' --windows 4 --window-aggregate median");
  EXPECT_EQ(agg.exit_code, 2);
  EXPECT_NE(agg.err.find("mean or max"), std::string::npos) << agg.err;
}

}  // namespace
}  // namespace berth::test
