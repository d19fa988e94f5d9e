// fuse_int8_qkv (model/bert_layers.h): one packed int8 GEMM for q, k and v gives the logits of
// the three separate int8 layers (same per-row weight scales, one activation range, exact int32
// sums), and is actually taken: every full-sequence layer's attention gets it.
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "model/bert_layers.h"
#include "model/int8_linear.h"
#include "model/pretrained.h"
#include "tests/model/model_test_util.h"
#include "tests/support/seeded_classifier.h"

namespace berth::test {
namespace {

TEST(Int8FusedQkv, SameLogitsAsSeparateInt8Layers) {
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/11, /*scale=*/20);
  auto separate = model::load_classifier(model_dir);
  auto fused = model::load_classifier(model_dir);
  for (auto* l : {&separate, &fused})
    model::quantize_linears_int8(*l->model, l->model->head_prefixes());
  const int n = model::fuse_int8_qkv(*fused.model);
  EXPECT_EQ(n, fused.config.num_hidden_layers);

  at::manual_seed(5);
  const at::Tensor ids = at::randint(1000, 2000, {3, 17});  // (batch, seq)
  at::Tensor mask = at::ones_like(ids);
  mask.index_put_({2, at::indexing::Slice(9)}, 0);  // one padded row
  c10::InferenceMode inference;
  const at::Tensor want = separate.model->forward(ids, mask, at::zeros_like(ids)).logits;
  const at::Tensor got = fused.model->forward(ids, mask, at::zeros_like(ids)).logits;
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-5);
}

}  // namespace
}  // namespace berth::test
