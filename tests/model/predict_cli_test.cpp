// `berth predict` and `berth eval` end to end: file → tokenizer → model → output, against
// Hugging Face's AutoTokenizer + AutoModelForSequenceClassification on the same file.
#include <gtest/gtest.h>

#include <sstream>

#include "model/pretrained.h"
#include "tests/model/model_test_util.h"

namespace berth::test {
namespace {

using nlohmann::json;

// A 3-label model (labels a, b, c) on the default encoder. The seeded head is scaled up so the
// probabilities are far from uniform and differences would show.
class PredictCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    model::LoadOptions o;
    o.num_labels = 3;
    o.init_seed = 99;
    auto loaded = model::load_classifier(default_model().string(), o, c10::Device(c10::kCPU));
    {
      at::NoGradGuard no_grad;
      loaded.model->classifier->weight.mul_(60);
    }
    model::save_pretrained((*dir_ / "model").string(), *loaded.model, loaded.config,
                           {"a", "b", "c"}, default_model().string());
    write_file(*dir_ / "in.csv",
               "text,label\n"
               "\"a stirring , funny and finally transporting re-imagining\",a\n"
               "apparently reassembled from the cutting-room floor .,b\n"
               "\"Quotes \"\"inside\"\", commas, and ÜNICODE façade — naïve\",c\n"
               "short,2\n"
               "\"" +
                   std::string(300, 'x') + " " + std::string(40, 'y') + " long\",a\n");
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string berth(const std::string& args) { return "'" + berth_binary() + "' " + args; }
  static std::string model_dir() { return (*dir_ / "model").string(); }
  static std::string input() { return (*dir_ / "in.csv").string(); }

  static TempDir* dir_;
};
TempDir* PredictCli::dir_ = nullptr;

TEST_F(PredictCli, PredictMatchesTransformers) {
  auto r = run_command(berth("predict --model '" + model_dir() + "' --input '" + input() +
                             "' --max-length 32 --batch-size 2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
  ASSERT_EQ(lines.size(), 5u);

  auto hf = json::parse(
      run_python("model_oracle.py predict '" + model_dir() + "' '" + input() + "' 32").out);
  ASSERT_EQ(hf.size(), 5u);
  double worst = 0;
  const std::vector<std::string> names = {"a", "b", "c"};
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["row"], i + 1);
    double sum = 0, best = -1;
    std::string best_name;
    for (size_t k = 0; k < 3; ++k) {
      double p = lines[i]["probs"][names[k]].get<double>();
      worst = std::max(worst, std::abs(p - hf[i][k].get<double>()));
      sum += p;
      if (p > best) best = p, best_name = names[k];
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_EQ(lines[i]["label"], best_name);
    EXPECT_DOUBLE_EQ(lines[i]["score"].get<double>(), best);
  }
  std::cout << "berth predict vs transformers: max abs diff of probabilities " << worst
            << std::endl;
  EXPECT_LE(worst, 1e-5);
}

TEST_F(PredictCli, EvalReportsMetricsConsistentWithPredict) {
  auto p = run_command(berth("predict --model '" + model_dir() + "' --input '" + input() + "'"));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const std::vector<std::string> truth = {"a", "b", "c", "c", "a"};  // "2" is class id 2
  int correct = 0, i = 0;
  std::istringstream in(p.out);
  for (std::string l; std::getline(in, l); ++i) correct += json::parse(l)["label"] == truth[i];

  TempDir tmp;
  auto r = run_command(berth("eval --model '" + model_dir() + "' --input '" + input() +
                             "' --output '" + (tmp / "report.json").string() + "'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["total"], 5);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), correct / 5.0);
  EXPECT_EQ(j["labels"], json({"a", "b", "c"}));
  EXPECT_EQ(j["per_class"]["c"]["support"], 2);
  EXPECT_GT(j["loss"].get<double>(), 0.0);
  EXPECT_EQ(json::parse(read_file(tmp / "report.json")), j);
}

TEST_F(PredictCli, Errors) {
  // An unknown label names the file and line and lists the model's labels.
  TempDir tmp;
  write_file(tmp / "bad.csv", "text,label\nfine,a\noops,zebra\n");
  auto r = run_command(
      berth("eval --model '" + model_dir() + "' --input '" + (tmp / "bad.csv").string() + "'"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("bad.csv:3: label \"zebra\" is not one of the model's labels (a, b, c)"),
            std::string::npos)
      << r.err;
  // A model without a trained head is refused.
  r = run_command(
      berth("predict --model '" + default_model().string() + "' --input '" + input() + "'"));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("no trained classifier head"), std::string::npos) << r.err;
  // A missing column.
  r = run_command(berth("predict --model '" + model_dir() + "' --input '" + input() +
                        "' --text-column sentence"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("sentence"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::test
