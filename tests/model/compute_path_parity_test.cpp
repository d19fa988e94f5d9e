// The faster compute paths of the encoder (model/bert_layers.h: fused q/k/v projection, the last
// layer for [CLS] only) against the plain ones they replace: same logits, loss and gradients of
// every parameter within float rounding, with dropout on (same seed, so the same masks) where the
// masks can be the same, and off, padded batches included.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "model/bert_model.h"
#include "model/fast_dropout.h"
#include "tests/model/model_test_util.h"

namespace berth::test {
namespace {

using model::BertClassifier;
using model::BertConfig;

BertConfig config(double dropout) {
  return BertConfig::from_json({{"model_type", "bert"},
                                {"hidden_size", 48},
                                {"num_hidden_layers", 2},
                                {"num_attention_heads", 4},
                                {"intermediate_size", 96},
                                {"vocab_size", 30522},
                                {"max_position_embeddings", 64},
                                {"hidden_dropout_prob", dropout},
                                {"attention_probs_dropout_prob", dropout}},
                               "small");
}

struct StepResult {
  at::Tensor logits, loss;
  std::map<std::string, at::Tensor> grads;
};

// One training forward/backward with the global generator seeded, so dropout draws the same
// masks on both paths.
StepResult step(BertClassifier& m, const TokenBatch& b) {
  for (auto& p : m.parameters()) p.mutable_grad() = at::Tensor();
  at::manual_seed(7);
  auto logits = m.forward(b.ids, b.mask, b.types).logits;
  auto loss = at::cross_entropy_loss(logits, b.labels);
  loss.backward();
  StepResult r{logits.detach(), loss.detach(), {}};
  for (const auto& item : m.named_parameters())
    if (item.value().grad().defined()) r.grads[item.key()] = item.value().grad().clone();
  return r;
}

void set_fused_qkv(BertClassifier& m, bool on) {
  for (auto& layer : m.bert->encoder->layers) layer->attention->self->fused_qkv = on;
}

void expect_same_step(const std::function<void(BertClassifier&, bool)>& lever, double dropout) {
  at::manual_seed(3);
  auto m = std::make_shared<BertClassifier>(config(dropout), 3);
  m->train();
  auto b = make_batch({23, 9, 17, 4}, 5, 3);  // padded: the mask path is exercised
  lever(*m, false);
  StepResult plain = step(*m, b);
  lever(*m, true);
  StepResult fast = step(*m, b);
  EXPECT_LE(max_abs_diff(plain.logits, fast.logits), 1e-5);
  EXPECT_NEAR(plain.loss.item<double>(), fast.loss.item<double>(), 1e-6);
  ASSERT_EQ(plain.grads.size(), fast.grads.size());
  for (const auto& [name, g] : plain.grads) {
    ASSERT_TRUE(fast.grads.count(name)) << name;
    const double scale = std::max(1.0, g.abs().max().item<double>());
    EXPECT_LE(max_abs_diff(g, fast.grads.at(name)) / scale, 1e-5) << name;
  }
}

void set_composed_attention(BertClassifier& m, bool on) {
  for (auto& layer : m.bert->encoder->layers) layer->attention->self->composed_attention = on;
}

TEST(ComputePathParity, FusedQkvMatchesThreeProjectionsWithoutDropout) {
  expect_same_step(set_fused_qkv, 0.0);
}

TEST(ComputePathParity, FusedQkvMatchesThreeProjectionsWithDropout) {
  expect_same_step(set_fused_qkv, 0.1);
}

void set_cls_only_last_layer(BertClassifier& m, bool on) {
  m.bert->last_layer_cls_only = on;
}

// Without dropout only: with it, the [CLS]-only layer draws masks of other shapes.
TEST(ComputePathParity, ClsOnlyLastLayerMatchesFullLastLayer) {
  expect_same_step(set_cls_only_last_layer, 0.0);
}

TEST(ComputePathParity, ClsOnlyLastLayerMatchesWithThreeProjectionsAndInEvalMode) {
  at::manual_seed(3);
  auto m = std::make_shared<BertClassifier>(config(0.1), 3);
  set_fused_qkv(*m, false);
  auto b = make_batch({23, 9, 17, 4}, 5, 3);
  m->eval();  // the inference path: dropout off, scaled_dot_product_attention
  at::NoGradGuard no_grad;
  set_cls_only_last_layer(*m, false);
  auto full = m->forward(b.ids, b.mask, b.types);
  set_cls_only_last_layer(*m, true);
  auto cls = m->forward(b.ids, b.mask, b.types);
  EXPECT_EQ(full.last_hidden.sizes(), (std::vector<int64_t>{4, 23, 48}));
  EXPECT_EQ(cls.last_hidden.sizes(), (std::vector<int64_t>{4, 1, 48}));
  EXPECT_LE(max_abs_diff(full.last_hidden.narrow(1, 0, 1), cls.last_hidden), 1e-5);
  EXPECT_LE(max_abs_diff(full.logits, cls.logits), 1e-5);
  EXPECT_GT(full.logits.abs().max().item<double>(), 1e-3);  // not vacuous
}

// With ATen's dropout masks (runtime.fast_dropout = false) the composed attention draws the
// probabilities' mask exactly as scaled_dot_product_attention's CPU fallback does (one
// at::dropout over (batch, heads, seq, seq)), so the two agree step for step with dropout on.
TEST(ComputePathParity, ComposedAttentionMatchesSdpaWithAtenDropout) {
  model::set_fast_dropout(false);
  expect_same_step(set_composed_attention, 0.1);
  model::set_fast_dropout(true);
}

}  // namespace
}  // namespace berth::test
