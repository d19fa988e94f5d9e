// The first optimizer steps of every family's classifier with Berth's AdamW (trainer/adamw.h)
// and Berth's loss against transformers' model with torch.optim.AdamW
// (tests/python/family_oracle.py train): the loss of each of the first steps must agree, which
// checks the forward pass, the gradients and the update together over several steps. Tiny random
// models, dropout 0 (tests/python/make_family_model.py, make_deberta_modernbert.py), so that
// train mode is deterministic on both sides.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "model/classification_loss.h"
#include "model/pretrained.h"
#include "tests/model/family_parity_util.h"
#include "trainer/adamw.h"

namespace berth::test {
namespace {

// A model_type of make_family_model.py, or a variant of make_deberta_modernbert.py.
class FamilyTrainSteps : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Families, FamilyTrainSteps,
                         ::testing::Values("bert", "roberta", "xlm-roberta", "electra",
                                           "distilbert", "deberta-v3", "deberta-v2", "modernbert"),
                         [](const auto& info) {
                           std::string n = info.param;
                           n.erase(std::remove(n.begin(), n.end(), '-'), n.end());
                           return n;
                         });

std::string make_model(const std::string& family, const std::string& dir) {
  if (family.rfind("deberta", 0) == 0 || family == "modernbert")
    return make_family_model(family, dir, 3, 11);
  run_python("make_family_model.py " + family + " '" + dir + "' '" + default_model().string() +
             "' 3");
  return dir;
}

TEST_P(FamilyTrainSteps, FirstStepsMatchTransformers) {
  constexpr int kSteps = 4;
  constexpr double kLr = 2e-3, kWeightDecay = 0.01;
  TempDir tmp;
  const std::string dir = make_model(GetParam(), (tmp / "m").string());
  auto loaded = model::load_classifier(dir);
  auto& m = *loaded.model;
  const bool with_types = loaded.config.type_vocab_size >= 2;

  // Two padded pair batches in turn (ids below 500, which every tiny vocabulary holds), padded
  // with the family's pad id. A RoBERTa-style pad id of 1 would make the opening token padding:
  // it becomes <s> (0) there.
  std::vector<TokenBatch> batches = {make_family_batch({12, 5, 9, 3, 7}, 5, 3),
                                     make_family_batch({6, 11, 8}, 6, 3)};
  std::vector<nlohmann::json> js;
  for (auto& b : batches) {
    if (loaded.config.pad_token_id != 0)
      b.ids.masked_fill_(b.ids.eq(loaded.config.pad_token_id), 0);
    b.ids.masked_fill_(b.mask.eq(0), loaded.config.pad_token_id);
    if (!with_types) b.types.zero_();
    js.push_back(family_batch_json(b, with_types, true));
  }
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
    // Rounding differences grow with every update (Adam divides by the square root of small
    // second moments): 1e-5 relative holds four steps in fp32.
    EXPECT_NEAR(mine.back(), ref[s].get<double>(), 1e-5 * std::max(1.0, mine.back()))
        << "step " << s + 1;
  }
  // The same batch comes back at steps 1 and 3: a loss that did not move would prove nothing.
  EXPECT_GT(std::abs(mine[0] - mine[2]), 1e-3);
}

}  // namespace
}  // namespace berth::test
