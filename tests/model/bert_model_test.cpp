// Behaviour of the modules beyond HF parity: dropout modes, padding, reduced precision, devices.
#include "model/bert_model.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "model/pretrained.h"
#include "tests/model/model_test_util.h"

namespace berth::test {
namespace {

using model::BertClassifier;
using model::BertConfig;

BertConfig small_config() {
  return BertConfig::from_json({{"model_type", "bert"},
                                {"hidden_size", 32},
                                {"num_hidden_layers", 2},
                                {"num_attention_heads", 4},
                                {"intermediate_size", 64},
                                {"vocab_size", 30522},
                                {"max_position_embeddings", 64},
                                {"hidden_dropout_prob", 0.2},
                                {"attention_probs_dropout_prob", 0.2}},
                               "small");
}

TEST(BertModel, DropoutOnlyInTrainMode) {
  auto m = std::make_shared<BertClassifier>(small_config(), 3);
  auto b = make_batch({20, 7}, 1);
  at::NoGradGuard no_grad;
  m->train();
  auto t1 = m->forward(b.ids, b.mask, b.types).logits;
  auto t2 = m->forward(b.ids, b.mask, b.types).logits;
  EXPECT_FALSE(at::allclose(t1, t2));
  m->eval();
  auto e1 = m->forward(b.ids, b.mask, b.types).logits;
  auto e2 = m->forward(b.ids, b.mask, b.types).logits;
  EXPECT_TRUE(at::equal(e1, e2));
}

TEST(BertModel, PaddingDoesNotChangeRealPositions) {
  auto m = std::make_shared<BertClassifier>(small_config(), 2);
  m->bert->last_layer_cls_only = false;  // every position's last state, to compare them all
  m->eval();
  at::NoGradGuard no_grad;
  auto batch = make_batch({40, 9}, 2);
  auto out = m->forward(batch.ids, batch.mask, batch.types);
  // The short sequence alone, unpadded.
  auto alone =
      m->forward(batch.ids.slice(0, 1, 2).slice(1, 0, 9), batch.mask.slice(0, 1, 2).slice(1, 0, 9),
                 batch.types.slice(0, 1, 2).slice(1, 0, 9));
  EXPECT_LE(max_abs_diff(out.logits[1], alone.logits[0]), 1e-5);
  EXPECT_LE(max_abs_diff(out.last_hidden[1].slice(0, 0, 9), alone.last_hidden[0]), 1e-5);
  EXPECT_EQ(out.pooled.sizes(), (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 2}));
}

TEST(BertModel, MissingMaskAndTokenTypesMeanAllOnesAndZeros) {
  auto m = std::make_shared<BertClassifier>(small_config(), 2);
  m->eval();
  at::NoGradGuard no_grad;
  auto b = make_batch({10, 10}, 3);
  auto full = m->forward(b.ids, at::ones_like(b.ids), at::zeros_like(b.ids)).logits;
  EXPECT_TRUE(at::equal(m->forward(b.ids, {}, {}).logits, full));
}

TEST(BertModel, TooLongInputIsAUsageError) {
  auto m = std::make_shared<BertClassifier>(small_config(), 2);
  auto ids = at::full({1, 65}, 1000, at::kLong);
  try {
    m->forward(ids, {}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_NE(std::string(e.what()).find("max_position_embeddings 64"), std::string::npos);
  }
}

TEST(BertModel, ReducedPrecisionCpu) {
  auto loaded = model::load_classifier(default_model().string(), 2);
  auto& m = *loaded.model;
  at::NoGradGuard no_grad;
  auto b = make_batch({48, 16, 5}, 4);
  auto ref = m.forward(b.ids, b.mask, b.types);

  // Autocast (as the trainer's mixed precision does): matmuls in bf16, LayerNorm in fp32.
  at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCPU, true);
  auto amp = m.forward(b.ids, b.mask, b.types);
  at::autocast::set_autocast_enabled(at::kCPU, false);
  at::autocast::clear_cache();
  EXPECT_FALSE(amp.pooled.isnan().any().item<bool>());
  EXPECT_LE(max_abs_diff(amp.pooled.to(at::kFloat), ref.pooled), 0.1);

  // The whole model in bf16: the mask follows the activations' dtype.
  m.to(at::kBFloat16);
  auto bf = m.forward(b.ids, b.mask, b.types);
  EXPECT_EQ(bf.logits.scalar_type(), at::kBFloat16);
  EXPECT_LE(max_abs_diff(bf.pooled.to(at::kFloat), ref.pooled), 0.1);
}

TEST(BertModel, CudaMatchesCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  auto cpu = model::load_classifier(default_model().string(), 3);
  auto gpu = model::load_classifier(default_model().string(), 3, c10::Device(c10::kCUDA));
  bert_of(gpu).classifier->weight.data().copy_(bert_of(cpu).classifier->weight.data());
  at::NoGradGuard no_grad;
  auto b = make_batch({128, 20, 3}, 5);
  auto ref = cpu.model->forward(b.ids, b.mask, b.types);
  auto out = gpu.model->forward(b.ids.cuda(), b.mask.cuda(), b.types.cuda());
  EXPECT_LE(max_abs_diff(out.pooled, ref.pooled), 1e-4);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kHalf);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  auto amp = gpu.model->forward(b.ids.cuda(), b.mask.cuda(), b.types.cuda());
  at::autocast::set_autocast_enabled(at::kCUDA, false);
  at::autocast::clear_cache();
  EXPECT_FALSE(amp.pooled.isnan().any().item<bool>());
  EXPECT_LE(max_abs_diff(amp.pooled.to(at::kFloat), ref.pooled), 0.05);
}

}  // namespace
}  // namespace berth::test
