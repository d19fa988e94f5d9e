// fp32 linear maps over weights packed once (model/packed_gemm.h), against at::linear: the
// kernel's row blocks (12 rows, a remainder of 1 to 11), its panels (32 outputs, a last one cut
// short), its work chunks (96 rows, evened out between threads), its epilogues (GELU, a residual
// added) and a whole classifier with every linear map packed.
#include "model/packed_gemm.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include <cmath>

#include "model/bert_layers.h"
#include "model/pretrained.h"
#include "tests/model/model_test_util.h"
#include "tests/support/seeded_classifier.h"

namespace berth::test {
namespace {

TEST(PackedGemm, MatchesAtLinearForEveryBlockShape) {
  if (!model::packed_gemm_supported()) GTEST_SKIP() << "no AVX-512F on this CPU";
  at::manual_seed(7);
  c10::InferenceMode inference;
  for (auto [out, in] : {std::pair<int64_t, int64_t>{384, 384}, {2, 384}, {45, 17}, {1152, 64}}) {
    const at::Tensor w = at::randn({out, in}) * 0.05, b = at::randn({out});
    for (bool with_bias : {true, false}) {
      const model::PackedGemm packed(w, with_bias ? b : at::Tensor());
      EXPECT_EQ(packed.out_features(), out);
      for (int64_t rows : {1, 5, 12, 13, 25, 96, 97, 200}) {
        const at::Tensor x = at::randn({rows, in});
        const at::Tensor want = at::linear(x, w, with_bias ? b : at::Tensor());
        const at::Tensor got = packed.forward(x);
        ASSERT_EQ(got.sizes(), want.sizes());
        // Other summation orders: the sums differ in their last bits only.
        EXPECT_LT((got - want).abs().max().item<double>(), 1e-4)
            << out << "x" << in << ", " << rows << " rows, bias " << with_bias;
      }
    }
  }
}

TEST(PackedGemm, EvenChunksOnSeveralThreadsCoverEveryRow) {
  if (!model::packed_gemm_supported()) GTEST_SKIP() << "no AVX-512F on this CPU";
  const int before = at::get_num_threads();
  at::manual_seed(3);
  c10::InferenceMode inference;
  const at::Tensor w = at::randn({96, 64}) * 0.1, b = at::randn({96});
  const model::PackedGemm packed(w, b);
  for (int threads : {2, 3}) {
    at::set_num_threads(threads);
    // 800 rows: 9 chunks of 96 made 10 (2 threads) or 9 (3) of 80 / 89; 193: 3 chunks; 97: 2.
    for (int64_t rows : {97, 193, 800}) {
      const at::Tensor x = at::randn({rows, 64});
      EXPECT_LT((packed.forward(x) - at::linear(x, w, b)).abs().max().item<double>(), 1e-4)
          << rows << " rows on " << threads << " threads";
    }
  }
  at::set_num_threads(before);
}

// An identity weight makes the GEMM exact (each output is 1 * x plus zeros), so the epilogue's
// GELU is compared alone with the erf form computed in double precision.
TEST(PackedGemm, GeluEpilogueMatchesTheErfFormInDoublePrecision) {
  if (!model::packed_gemm_supported()) GTEST_SKIP() << "no AVX-512F on this CPU";
  c10::InferenceMode inference;
  const int64_t n = 40;  // a full panel and a cut one
  const model::PackedGemm gelu(at::eye(n), at::zeros({n}), model::GemmActivation::kGelu);
  // -20..20, where Phi(x) underflows to 0 below and is 1 above, with steps of 1/64 between.
  const at::Tensor x = at::arange(-20.0, 20.0, 1.0 / 64).view({-1, n});
  const at::Tensor got = gelu.forward(x);
  const auto xs = x.accessor<float, 2>();
  const auto ys = got.accessor<float, 2>();
  double worst = 0;
  for (int64_t r = 0; r < x.size(0); ++r)
    for (int64_t c = 0; c < n; ++c) {
      const double v = xs[r][c], want = 0.5 * v * std::erfc(-v / std::sqrt(2.0));
      // Abramowitz and Stegun's erf is within 1.5e-7; fp32 rounding adds an ulp or two.
      worst = std::max(worst, std::abs(ys[r][c] - want) / std::max(1.0, std::abs(v)));
    }
  std::cout << "GELU epilogue: largest error / max(1, |x|) " << worst << std::endl;
  EXPECT_LT(worst, 3e-7);
  // And against at::gelu after at::linear, on a real layer's shape and every block size.
  at::manual_seed(9);
  const at::Tensor w = at::randn({1536, 384}) * 0.05, b = at::randn({1536});
  const model::PackedGemm ffn(w, b, model::GemmActivation::kGelu);
  for (int64_t rows : {1, 7, 12, 25, 130}) {
    const at::Tensor a = at::randn({rows, 384});
    EXPECT_LT((ffn.forward(a) - at::gelu(at::linear(a, w, b))).abs().max().item<double>(), 1e-4)
        << rows << " rows";
  }
}

TEST(PackedGemm, ForwardAddAddsTheResidualInTheEpilogue) {
  if (!model::packed_gemm_supported()) GTEST_SKIP() << "no AVX-512F on this CPU";
  at::manual_seed(4);
  c10::InferenceMode inference;
  const at::Tensor w = at::randn({45, 64}) * 0.1, b = at::randn({45});
  const model::PackedGemm packed(w, b);
  for (int64_t rows : {1, 13, 200}) {
    const at::Tensor x = at::randn({rows, 64}), residual = at::randn({rows, 45});
    // The same sum rounded the same way: the bias-started GEMM, then the residual.
    EXPECT_TRUE(at::equal(packed.forward_add(x, residual), packed.forward(x) + residual));
  }
  // A residual that is a strided view (the [CLS]-only layer's first position) is read as values.
  const at::Tensor x = at::randn({3, 1, 64}), whole = at::randn({3, 5, 45});
  const at::Tensor first = whole.narrow(1, 0, 1);  // (3, 1, 45), not contiguous
  EXPECT_TRUE(at::equal(packed.forward_add(x, first), packed.forward(x) + first));
  EXPECT_THROW(packed.forward_add(x, at::randn({3, 2, 45})), std::logic_error);
  const model::PackedGemm with_gelu(w, b, model::GemmActivation::kGelu);
  EXPECT_THROW(with_gelu.forward_add(x, first), std::logic_error);
}

TEST(PackedGemm, KeepsLeadingDimensionsAndRefusesOtherInput) {
  if (!model::packed_gemm_supported()) GTEST_SKIP() << "no AVX-512F on this CPU";
  const at::Tensor w = at::randn({40, 24}), b = at::randn({40});
  const model::PackedGemm packed(w, b);
  const at::Tensor x = at::randn({3, 7, 24});  // (batch, seq, in)
  const at::Tensor got = packed.forward(x);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{3, 7, 40}));
  EXPECT_LT((got - at::linear(x, w, b)).abs().max().item<double>(), 1e-4);
  // A non-contiguous input is read as its values, not its storage.
  const at::Tensor xt = at::randn({24, 5}).t();
  EXPECT_LT((packed.forward(xt) - at::linear(xt, w, b)).abs().max().item<double>(), 1e-4);
  EXPECT_EQ(packed.forward(at::randn({0, 24})).size(0), 0);
  EXPECT_THROW(packed.forward(at::randn({2, 23})), std::logic_error);
  EXPECT_THROW(packed.forward(at::randn({2, 24}).to(at::kBFloat16)), std::logic_error);
}

TEST(PackedGemm, ClassifierLogitsMatchTheFp32PathWithTheWeightsReleased) {
  if (!model::packed_gemm_supported()) GTEST_SKIP() << "no AVX-512F on this CPU";
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/11, /*scale=*/20);
  auto plain = model::load_classifier(model_dir);
  auto packed = model::load_classifier(model_dir);
  const int n = model::pack_fp32_linears(*packed.model);
  // Per layer: q/k/v as one, the attention output, the feed-forward pair; then the pooler and
  // the head. Each feed-forward's GELU moves into its GEMM.
  const int64_t layers = packed.config.num_hidden_layers;
  EXPECT_EQ(n, layers * 4 + 2);
  int gelu_in_dense = 0;
  for (auto& m : packed.model->modules(false))
    if (auto* f = dynamic_cast<model::BertIntermediate*>(m.get()))
      gelu_in_dense += f->activation_in_dense;
  EXPECT_EQ(gelu_in_dense, layers);
  int released = 0, dense = 0;
  for (auto& m : packed.model->modules(false))
    if (auto* d = dynamic_cast<model::Dense*>(m.get())) {
      ++dense;
      released += d->weight.numel() == 0 && d->bias.numel() == 0;
    }
  EXPECT_EQ(released, dense);                             // no fp32 weight is held twice
  EXPECT_EQ(model::pack_fp32_linears(*packed.model), 0);  // packing twice changes nothing
  c10::InferenceMode inference;
  at::manual_seed(5);
  // Two batch shapes and a padded row; the [CLS]-only last layer runs in both.
  for (auto [batch, seq] : {std::pair<int64_t, int64_t>{3, 17}, {1, 40}}) {
    const at::Tensor ids = at::randint(1000, 2000, {batch, seq});
    at::Tensor mask = at::ones_like(ids);
    if (batch > 1) mask.index_put_({batch - 1, at::indexing::Slice(9)}, 0);
    const at::Tensor types = at::zeros_like(ids);
    const at::Tensor want = plain.model->forward(ids, mask, types).logits;  // (batch, labels)
    const at::Tensor got = packed.model->forward(ids, mask, types).logits;
    ASSERT_EQ(got.sizes(), want.sizes());
    const double rel = ((got - want).norm() / want.norm()).item<double>();
    std::cout << "packed fp32 vs at::linear logits: relative error " << rel << std::endl;
    EXPECT_LT(rel, 1e-5);
  }
}

}  // namespace
}  // namespace berth::test
