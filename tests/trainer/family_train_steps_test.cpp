// The first optimizer steps of every family's classifier with Berth's AdamW (trainer/adamw.h)
// against transformers' model with torch.optim.AdamW (tests/python/family_oracle.py train): the
// loss of each of the first steps must agree, which checks the forward pass, the gradients and
// the update together over several steps.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/classification_loss.h"
#include "model/pretrained.h"
#include "tests/model/model_test_util.h"
#include "trainer/adamw.h"

namespace berth::test {
namespace {

class FamilyTrainSteps : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Families, FamilyTrainSteps,
                         ::testing::Values("bert", "roberta", "xlm-roberta", "electra",
                                           "distilbert"),
                         [](const auto& info) {
                           std::string n = info.param;
                           n.erase(std::remove(n.begin(), n.end(), '-'), n.end());
                           return n;
                         });

TEST_P(FamilyTrainSteps, FirstStepsMatchTransformers) {
  constexpr int kSteps = 3;
  constexpr double kLr = 2e-3, kWeightDecay = 0.01;
  TempDir tmp;
  const std::string dir = (tmp / "m").string();
  run_python("make_family_model.py " + GetParam() + " '" + dir + "' '" + default_model().string() +
             "' 3");
  auto loaded = model::load_classifier(dir);
  auto& m = *loaded.model;

  // Two padded batches in turn, padded with the family's pad id.
  std::vector<TokenBatch> batches = {make_batch({40, 9, 17, 3, 25}, 5, 3),
                                     make_batch({12, 33, 8}, 6, 3)};
  for (auto& b : batches) {
    b.ids.masked_fill_(b.mask.eq(0), loaded.config.pad_token_id);
    if (loaded.config.type_vocab_size < 2) b.types.zero_();
  }
  std::vector<nlohmann::json> js;
  for (auto& b : batches) js.push_back(batch_to_json(b));
  write_file(tmp / "in.json", nlohmann::json({{"batches", js}}).dump());
  auto r = run_python("family_oracle.py train '" + dir + "' '" + (tmp / "in.json").string() + "' " +
                      std::to_string(kSteps) + " " + std::to_string(kLr) + " " +
                      std::to_string(kWeightDecay));
  std::string text = r.out.substr(0, r.out.find_last_not_of(" \n") + 1);
  auto ref = nlohmann::json::parse(
      text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1));
  ASSERT_EQ(ref.size(), static_cast<size_t>(kSteps));

  std::vector<trainer::NamedParameter> named;
  for (auto& p : m.named_parameters()) named.push_back({p.key(), p.value()});
  trainer::AdamWOptions o;
  o.weight_decay = kWeightDecay;
  trainer::AdamW opt(named, o);
  m.train();
  std::vector<double> mine;
  for (int s = 0; s < kSteps; ++s) {
    auto& b = batches[s % batches.size()];
    m.zero_grad();
    auto logits = m.forward(b.ids, b.mask, b.types).logits;
    auto loss = model::classification_loss_sum(logits, b.labels, ProblemType::kSingleLabel, {}) /
                static_cast<double>(b.ids.size(0));
    loss.backward();
    opt.step(kLr);
    mine.push_back(loss.item<double>());
    std::cout << GetParam() << " step " << s + 1 << ": loss " << mine.back() << ", transformers "
              << ref[s].get<double>() << std::endl;
    EXPECT_NEAR(mine.back(), ref[s].get<double>(), 1e-5) << "step " << s + 1;
  }
  // The same batch comes back at step 3: a loss that did not move would prove nothing.
  EXPECT_GT(std::abs(mine[0] - mine[2]), 1e-3);
}

}  // namespace
}  // namespace berth::test
