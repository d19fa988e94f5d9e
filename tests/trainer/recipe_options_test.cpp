// The recipe options of issue 28 against references computed at test time in PyTorch
// (tests/python/recipe_oracle.py): layer-wise learning-rate decay for every family (each
// parameter's depth from transformers' module tree, then torch.optim.AdamW with one group per
// rate), label smoothing and distillation losses (torch's F.cross_entropy / kl_div / BCE), and
// end-to-end runs of `berth train`: the weight average resumes bitwise, a distilled student sees
// its teacher's logits, and teachers with another label map or tokenizer are refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/model_family.h"
#include "model/parameter_layer.h"
#include "model/safetensors.h"
#include "tests/support/test_support.h"
#include "trainer/adamw.h"
#include "trainer/layer_decay.h"
#include "trainer/lr_schedule.h"
#include "trainer/training_loss.h"
#include "trainer/weight_ema.h"

namespace berth::trainer {
namespace {

namespace fs = std::filesystem;

// Parameters and gradients as the oracle makes them (same kernels: bit-identical inputs).
at::Tensor initial(int64_t k, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return at::arange(n, at::kFloat).mul(0.37).add(0.1 * k).sin().reshape(shape);
}

void check_family(const std::string& name, const nlohmann::json& ref) {
  SCOPED_TRACE(name);
  const double decay = 0.8, lr = 1e-2;
  const auto family = model::parse_model_family(name).value();
  const auto names = ref["names"].get<std::vector<std::string>>();
  const auto layers = model::parameter_layers(family, names);
  EXPECT_EQ(layers.num_layers, ref["num_layers"].get<int64_t>());
  EXPECT_EQ(layers.depth, ref["depth"].get<std::vector<int64_t>>());
  const auto factors = layer_decay_factors(family, names, decay);
  // The embeddings train slowest, the head at the base rate: the test is not all ones.
  EXPECT_DOUBLE_EQ(factors.front(), std::pow(decay, 3));
  EXPECT_DOUBLE_EQ(factors.back(), 1.0);

  for (bool fused : {false, true}) {
    SCOPED_TRACE(fused ? "fused" : "unfused");
    std::vector<NamedParameter> params;
    for (size_t k = 0; k < names.size(); ++k) {
      auto t = initial(static_cast<int64_t>(k), ref["shapes"][k].get<std::vector<int64_t>>());
      params.push_back({names[k], t.set_requires_grad(true), factors[k]});
    }
    AdamWOptions o{0.9, 0.999, 1e-8, 0.01};
    o.fused = fused;
    AdamW opt(params, o);
    LrSchedule sched(Schedule::kLinear, lr, 1, 4);
    for (int s = 0; s < 2; ++s) {
      for (size_t k = 0; k < params.size(); ++k) {
        auto& t = params[k].tensor;
        EXPECT_NEAR(opt.lr_of(k, sched.lr(s)), ref["rates"][s][k].get<double>(), 1e-15)
            << names[k] << " step " << s;
        t.mutable_grad() = at::arange(t.numel(), at::kFloat)
                               .add(static_cast<double>(s + k))
                               .mul(0.7)
                               .cos()
                               .reshape(t.sizes());
      }
      opt.step(sched.lr(s));
    }
    for (size_t k = 0; k < params.size(); ++k) {
      auto got = params[k].tensor.detach().flatten();
      auto want = at::tensor(ref["after"][k].get<std::vector<double>>(), at::kFloat);
      EXPECT_LT((got - want).abs().max().item<double>(), 1e-6) << names[k];
    }
  }
}

TEST(LayerDecay, RatesAndTwoAdamWStepsMatchTorchParamGroupsForEveryFamily) {
  const std::vector<std::string> families = {"bert",       "roberta",    "xlm-roberta", "electra",
                                             "distilbert", "deberta-v2", "modernbert"};
  std::string args = "recipe_oracle.py layers 0.8 1e-2";
  for (const auto& f : families) args += " " + f;
  auto ref = nlohmann::json::parse(test::run_python(args).out);
  for (const auto& f : families) check_family(f, ref.at(f));
}

TEST(TrainingLoss, SmoothingAndDistillationMatchTorch) {
  auto ref = nlohmann::json::parse(test::run_python("recipe_oracle.py loss").out);
  const int64_t b = 6, k = 4;
  auto logits = at::arange(b * k, at::kFloat).mul(0.9).sin().mul(3).reshape({b, k});
  auto teacher = at::arange(b * k, at::kFloat).mul(1.7).cos().mul(2.5).reshape({b, k});
  auto labels = at::tensor(std::vector<int64_t>{0, 3, 1, 2, 3, 1});
  auto multi = at::arange(b * k).reshape({b, k}).remainder(3).eq(0).to(at::kFloat);
  auto weights = at::tensor(std::vector<float>{1.0f, 2.0f, 0.5f, 1.5f});
  auto value = [](const at::Tensor& t) { return t.item<double>(); };
  const auto single = ProblemType::kSingleLabel, multi_label = ProblemType::kMultiLabel;
  for (double eps : {0.0, 0.1, 0.3}) {
    SCOPED_TRACE("label_smoothing " + std::to_string(eps));
    char e[8];
    std::snprintf(e, sizeof e, "%.1f", eps);
    LossRecipe r{eps, 2.0, 0.0};
    EXPECT_NEAR(value(training_loss_sum(logits, labels, single, {}, {}, r)),
                ref[std::string("ce_") + e].get<double>(), 1e-5);
    EXPECT_NEAR(value(training_loss_sum(logits, labels, single, weights, {}, r)),
                ref[std::string("ce_w_") + e].get<double>(), 1e-5);
    EXPECT_NEAR(value(training_loss_sum(logits, multi, multi_label, {}, {}, r)),
                ref[std::string("bce_") + e].get<double>(), 1e-5);
  }
  for (auto [t, alpha, key] : {std::tuple{2.0, 0.5, "2.0_0.5"}, std::tuple{1.0, 1.0, "1.0_1.0"},
                               std::tuple{4.0, 0.3, "4.0_0.3"}}) {
    SCOPED_TRACE(key);
    EXPECT_NEAR(value(training_loss_sum(logits, labels, single, {}, teacher, {0.1, t, alpha})),
                ref[std::string("distill_") + key].get<double>(), 1e-5);
    EXPECT_NEAR(value(training_loss_sum(logits, multi, multi_label, {}, teacher, {0.0, t, alpha})),
                ref[std::string("distill_multi_") + key].get<double>(), 1e-5);
  }
}

TEST(WeightEma, FollowsTheLerpAndSwapsInPlace) {
  auto w = at::arange(6, at::kFloat).reshape({2, 3});
  WeightEma ema({{"w", w}}, 0.9);
  const void* address = w.data_ptr();
  at::Tensor expect = w.clone();
  for (int s = 1; s <= 3; ++s) {
    w.add_(1.0);
    ema.update();
    expect = expect * 0.9 + w * 0.1;
  }
  EXPECT_LT((ema.average()[0].second - expect).abs().max().item<double>(), 1e-6);
  const at::Tensor raw = w.clone();
  {
    EmaScope scope(&ema);
    EXPECT_TRUE(at::equal(w, ema.average()[0].second));
    EXPECT_TRUE(at::equal(ema.raw_weights()[0].second, raw));
    EmaScope nested(&ema);  // already in place: no second swap
    EXPECT_TRUE(at::equal(w, ema.average()[0].second));
  }
  EXPECT_TRUE(at::equal(w, raw));
  EXPECT_EQ(w.data_ptr(), address);  // captured CUDA graphs keep reading the same memory
}

// End-to-end runs on the tiny random BERT of the trainer tests.
class RecipeRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    for (auto [name, dropout] : {std::pair{"tiny", "0.1"}, std::pair{"tiny-no-dropout", "0.0"}})
      test::run_python("make_tiny_model.py '" + (*dir_ / name).string() + "' '" +
                       test::default_model().string() + "' 3 " + dropout);
    test::write_file(*dir_ / "train.csv", test::learnable_csv(60));
    test::write_file(*dir_ / "dev.csv", test::learnable_csv(15));
  }
  static void TearDownTestSuite() { delete dir_; }

  std::string config(const std::string& run, const std::string& model,
                     const std::string& extra = "") {
    std::ostringstream c;
    c << "[model]\npath = '" << (*dir_ / model).string() << "'\n"
      << "[data]\ntrain = '" << (*dir_ / "train.csv").string() << "'\ndev = '"
      << (*dir_ / "dev.csv").string() << "'\n"
      << "batch_size = 8\nmax_length = 32\ncache_dir = '" << (*dir_ / "cache").string() << "'\n"
      << "[optim]\nlr = 1e-3\nwarmup_steps = 2\n"
      << "[train]\nmax_steps = 10\nlog_every = 1\nseed = 7\nrun_dir = '" << (*dir_ / run).string()
      << "'\n[checkpoint]\nkeep_last = 0\nkeep_best = 0\n"
      << "[runtime]\nthreads = 1\n"
      << extra;
    auto path = *dir_ / (run + ".toml");
    test::write_file(path, c.str());
    return path.string();
  }
  test::CommandResult train(const std::string& cfg, const std::string& args = "") {
    return test::run_command("'" + test::berth_binary() + "' train --config '" + cfg + "' " + args);
  }
  fs::path step_dir(const std::string& run, int step) {
    return test::checkpoint_step_dir(*dir_ / run, step);
  }
  static test::TempDir* dir_;
};

test::TempDir* RecipeRun::dir_ = nullptr;

// The whole training path with both options: per-step losses against transformers + torch's
// AdamW with one param group per depth and cross_entropy(label_smoothing=).
TEST_F(RecipeRun, LayerDecayAndLabelSmoothingStepsMatchTransformers) {
  const std::string trace = (*dir_ / "recipes.trace").string();
  auto r = train(config("recipes", "tiny-no-dropout"),
                 "--set train.max_steps=6 --set optim.lr=5e-3 --set optim.layer_decay=0.5 "
                 "--set train.label_smoothing=0.2 --trace-batches '" +
                     trace + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path corpus;
  for (const auto& e : fs::directory_iterator(*dir_ / "cache"))
    if (e.path().filename().string().rfind("train-", 0) == 0 && e.path().extension() == ".h5")
      corpus = e.path();
  ASSERT_FALSE(corpus.empty());
  auto oracle = [&](const std::string& recipe) {
    return nlohmann::json::parse(
        test::run_python("training_oracle.py '" + (*dir_ / "tiny-no-dropout").string() + "' '" +
                         corpus.string() + "' '" + trace + ".0' 6 1 5e-3 2 6 0.01 1.0 " + recipe)
            .out);
  };
  auto ref = oracle("0.2 0.5"), plain = oracle("0.0 1.0");
  auto mine = test::train_losses(*dir_ / "recipes");
  ASSERT_EQ(mine.size(), 6u);
  for (int s = 0; s < 6; ++s) EXPECT_NEAR(mine[s + 1], ref[s].get<double>(), 1e-4) << s + 1;
  // The options change the losses by more than the tolerance: the comparison can fail.
  EXPECT_GT(std::abs(ref[5].get<double>() - plain[5].get<double>()), 1e-3);
}

TEST_F(RecipeRun, WeightAverageResumesBitwise) {
  const std::string ema = "--set train.ema_decay=0.9";
  auto a = train(config("ema-full", "tiny"), ema);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto cfg = config("ema-stopped", "tiny");
  ASSERT_EQ(train(cfg, ema + " --stop-after-step 4").exit_code, 75);
  auto b = train(cfg, ema);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.err.find("resumed from"), std::string::npos) << b.err;
  for (const char* file : {"model.safetensors", "weights_raw.safetensors", "optimizer.safetensors"})
    EXPECT_EQ(test::read_file(step_dir("ema-full", 10) / file),
              test::read_file(step_dir("ema-stopped", 10) / file))
        << file;
  // The model files hold the average, not the raw weights.
  model::SafetensorsFile avg((step_dir("ema-full", 10) / "model.safetensors").string());
  model::SafetensorsFile raw((step_dir("ema-full", 10) / "weights_raw.safetensors").string());
  const std::string w = "classifier.weight";
  EXPECT_GT((avg.load(w) - raw.load(w)).abs().max().item<double>(), 1e-6);
  // Resuming without the average is refused (the key must match).
  auto c = train(cfg, "--set train.max_steps=12");
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("train.ema_decay"), std::string::npos) << c.err;
}

TEST_F(RecipeRun, DistilledStudentSeesItsTeachersLogits) {
  // The teacher: the tiny model trained a few steps; the students start from the teacher's
  // weights without dropout, so at step 1 the KL term is zero and only the label term remains.
  ASSERT_EQ(train(config("teacher", "tiny-no-dropout"), "--set train.max_steps=4").exit_code, 0);
  const fs::path teacher = step_dir("teacher", 4);
  auto plain = train(config("student-plain", "tiny"),
                     "--set model.path='" + teacher.string() + "' --set train.max_steps=2");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto half = train(config("student-half", "tiny"),
                    "--set model.path='" + teacher.string() + "' --set train.max_steps=2" +
                        " --set distill.teacher='" + teacher.string() + "'");
  ASSERT_EQ(half.exit_code, 0) << half.err;
  EXPECT_NE(half.err.find("distilling from"), std::string::npos) << half.err;
  auto lp = test::train_losses(*dir_ / "student-plain");
  auto lh = test::train_losses(*dir_ / "student-half");
  ASSERT_EQ(lh.size(), 2u);
  // Step 1: student == teacher, KL = 0, so the loss is the plain run's label term, halved
  // (alpha 0.5); a misaligned teacher batch or wrong temperature would add a positive KL.
  EXPECT_NEAR(lh[1], 0.5 * lp[1], 1e-5 * lp[1]);

  // Another label map: the raw tiny model is labelled c0..c2 too, so relabel a copy.
  const fs::path relabelled = *dir_ / "teacher-relabelled";
  fs::copy(teacher, relabelled, fs::copy_options::recursive);
  auto cfg_json = test::read_file(relabelled / "config.json");
  for (auto pos = cfg_json.find("\"c2\""); pos != std::string::npos;
       pos = cfg_json.find("\"c2\"", pos))
    cfg_json.replace(pos, 4, "\"zz\"");
  test::write_file(relabelled / "config.json", cfg_json);
  auto r = train(config("student-labels", "tiny"),
                 "--set distill.teacher='" + relabelled.string() + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("labels"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("distill.teacher"), std::string::npos) << r.err;

  // Another vocabulary.
  const fs::path revocab = *dir_ / "teacher-vocab";
  fs::copy(teacher, revocab, fs::copy_options::recursive);
  fs::remove(revocab / "tokenizer.json");
  auto vocab = test::read_file(revocab / "vocab.txt");
  test::write_file(revocab / "vocab.txt", vocab + "berthextratoken\n");
  auto v =
      train(config("student-vocab", "tiny"), "--set distill.teacher='" + revocab.string() + "'");
  EXPECT_NE(v.exit_code, 0);
  EXPECT_NE(v.err.find("tokenizer"), std::string::npos) << v.err;
}

}  // namespace
}  // namespace berth::trainer
