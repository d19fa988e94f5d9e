// Every family end to end through the berth binary, with the family's own tokenizer.json
// (byte-level BPE, Unigram, WordPiece; tests/python/make_family_tokenizers.py) and a tiny random
// model sized to it: `berth prep` -> `berth train` (a few steps on the prepped corpus) -> `berth
// predict` and `berth eval` on the checkpoint Berth saved, which transformers (AutoTokenizer +
// AutoModelForSequenceClassification) reloads and must score the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/launcher/family_run_util.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class FamilyRun : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!shared_data_available()) GTEST_SKIP() << "no ../shared/data";
    ASSERT_FALSE(family_tokenizers().empty()) << "make_family_tokenizers.py failed";
  }
};

INSTANTIATE_TEST_SUITE_P(Families, FamilyRun,
                         ::testing::Values("bert", "roberta", "xlm-roberta", "electra",
                                           "distilbert", "deberta-v2", "modernbert"),
                         [](const auto& info) {
                           std::string n = info.param;
                           n.erase(std::remove(n.begin(), n.end(), '-'), n.end());
                           return n;
                         });

TEST_P(FamilyRun, PrepTrainPredictEvalAndTransformersReadsTheCheckpoint) {
  constexpr int kSteps = 6, kDev = 9;
  TempDir dir;
  const fs::path model = dir / "model";
  make_family_checkpoint(GetParam(), model, 3);
  write_file(dir / "train.csv", learnable_csv(48));
  write_file(dir / "dev.csv", learnable_csv(kDev));
  const std::string berth = "'" + berth_binary() + "'";

  auto prep = run_command(berth + " prep --model " + quoted(model) + " --input " +
                          quoted(dir / "train.csv") + " --out " + quoted(dir / "train.h5") +
                          " --max-length 32");
  ASSERT_EQ(prep.exit_code, 0) << prep.err;
  std::ostringstream c;
  c << "[model]\npath = '" << model.string() << "'\n"
    << "[data]\ntrain = '" << (dir / "train.h5").string() << "'\n"
    << "batch_size = 8\nmax_length = 32\n"
    << "[optim]\nlr = 3e-3\nwarmup_steps = 2\n"
    << "[train]\nmax_steps = " << kSteps << "\nlog_every = 1\nseed = 7\nrun_dir = '"
    << (dir / "run").string() << "'\n[checkpoint]\nkeep_last = 0\nkeep_best = 0\n"
    << "[runtime]\nthreads = 1\n";
  write_file(dir / "run.toml", c.str());
  auto train = run_command(berth + " train --config " + quoted(dir / "run.toml"));
  ASSERT_EQ(train.exit_code, 0) << train.err;
  auto losses = train_losses(dir / "run");
  ASSERT_EQ(losses.size(), static_cast<size_t>(kSteps));
  for (auto& [step, loss] : losses) EXPECT_TRUE(std::isfinite(loss)) << "step " << step;

  const fs::path ckpt = checkpoint_step_dir(dir / "run", kSteps);
  EXPECT_EQ(json::parse(read_file(ckpt / "config.json"))["model_type"], GetParam());
  EXPECT_TRUE(fs::exists(ckpt / "tokenizer.json"));

  auto p = run_command(berth + " predict --checkpoint " + quoted(ckpt) + " --input " +
                       quoted(dir / "dev.csv") + " --max-length 32");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto hf = json::parse(
      run_python("family_oracle.py predict " + quoted(ckpt) + " " + quoted(dir / "dev.csv") + " 32")
          .out);
  ASSERT_EQ(hf.size(), static_cast<size_t>(kDev));
  std::istringstream lines(p.out);
  size_t i = 0;
  double worst = 0, hf_loss = 0;
  int hf_correct = 0;
  for (std::string l; std::getline(lines, l); ++i) {
    ASSERT_LT(i, hf.size());
    auto row = json::parse(l);
    std::vector<double> probs = hf[i];
    for (size_t k = 0; k < 3; ++k)
      worst =
          std::max(worst, std::abs(row["probs"]["c" + std::to_string(k)].get<double>() - probs[k]));
    const size_t label = i % 3;  // learnable_csv's labels: c0, c1, c2 in turn
    hf_loss -= std::log(probs[label]);
    hf_correct +=
        std::max_element(probs.begin(), probs.end()) - probs.begin() == static_cast<long>(label);
  }
  EXPECT_EQ(i, static_cast<size_t>(kDev));
  std::cout << GetParam() << ": berth predict vs transformers on Berth's checkpoint, max abs diff "
            << "of probabilities " << worst << std::endl;
  EXPECT_LE(worst, 1e-5);
  // Not a model that says the same thing for every text.
  EXPECT_GT(std::abs(hf[0][0].get<double>() - hf[1][0].get<double>()) +
                std::abs(hf[1][1].get<double>() - hf[2][1].get<double>()),
            1e-4);

  auto e = run_command(berth + " eval --checkpoint " + quoted(ckpt) + " --input " +
                       quoted(dir / "dev.csv") + " --max-length 32 --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  auto report = json::parse(e.out);
  EXPECT_NEAR(report["loss"].get<double>(), hf_loss / kDev, 1e-5) << e.out;
  EXPECT_NEAR(report["accuracy"].get<double>(), static_cast<double>(hf_correct) / kDev, 1e-9)
      << e.out;
}

}  // namespace
}  // namespace berth::test
