// `berth train` and `berth predict` end to end on tiny random models of the families beside
// BERT (tests/python/make_family_model.py). Until their own tokenizers are supported the models
// carry BERT's WordPiece files, which is all these runs need: the point is that training,
// checkpointing and prediction go through each family's classifier, and that transformers reads
// the checkpoint Berth wrote and predicts what Berth predicts.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class FamilyRun : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Families, FamilyRun, ::testing::Values("roberta", "distilbert"));

TEST_P(FamilyRun, TrainsAndPredictsLikeTransformers) {
  TempDir dir;
  const fs::path model = dir / "model";
  run_python("make_family_model.py " + GetParam() + " '" + model.string() + "' '" +
             default_model().string() + "' 3");
  write_file(dir / "train.csv", learnable_csv(48));
  write_file(dir / "dev.csv", learnable_csv(9));
  std::ostringstream c;
  c << "[model]\npath = '" << model.string() << "'\n"
    << "[data]\ntrain = '" << (dir / "train.csv").string() << "'\n"
    << "batch_size = 8\nmax_length = 32\ncache_dir = '" << (dir / "cache").string() << "'\n"
    << "[optim]\nlr = 1e-3\nwarmup_steps = 2\n"
    << "[train]\nmax_steps = 8\nlog_every = 1\nseed = 7\nrun_dir = '" << (dir / "run").string()
    << "'\n[checkpoint]\nkeep_last = 0\nkeep_best = 0\n[runtime]\nthreads = 1\n";
  write_file(dir / "run.toml", c.str());

  auto r =
      run_command("'" + berth_binary() + "' train --config '" + (dir / "run.toml").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto losses = train_losses(dir / "run");
  ASSERT_EQ(losses.size(), 8u);
  for (auto& [step, loss] : losses) EXPECT_TRUE(std::isfinite(loss)) << "step " << step;

  const fs::path ckpt = checkpoint_step_dir(dir / "run", 8);
  auto config = json::parse(read_file(ckpt / "config.json"));
  EXPECT_EQ(config["model_type"], GetParam());

  auto p = run_command("'" + berth_binary() + "' predict --checkpoint '" + ckpt.string() +
                       "' --input '" + (dir / "dev.csv").string() + "' --max-length 32");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto hf = json::parse(run_python("model_oracle.py predict '" + ckpt.string() + "' '" +
                                   (dir / "dev.csv").string() + "' 32")
                            .out);
  std::istringstream lines(p.out);
  size_t i = 0;
  double worst = 0;
  for (std::string l; std::getline(lines, l); ++i) {
    auto row = json::parse(l);
    ASSERT_LT(i, hf.size());
    for (size_t k = 0; k < 3; ++k)
      worst = std::max(worst, std::abs(row["probs"]["c" + std::to_string(k)].get<double>() -
                                       hf[i][k].get<double>()));
  }
  EXPECT_EQ(i, 9u);
  std::cout << GetParam() << ": berth predict vs transformers on Berth's checkpoint, max abs "
            << "diff of probabilities " << worst << std::endl;
  EXPECT_LE(worst, 1e-5);
}

}  // namespace
}  // namespace berth::test
