// model::dropout (counter-based CPU masks) against what at::dropout promises: the keep rate,
// the 1 / (1 - p) scaling in the input's dtype, the gradient through the same mask, masks
// decided by the generator's seed whatever the thread count, and ATen's path when turned off.
#include "model/fast_dropout.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

namespace berth::model {
namespace {

TEST(FastDropout, KeepsOneMinusPAndScalesKeptValues) {
  for (double p : {0.1, 0.5}) {
    at::Tensor mask = dropout_mask(at::empty({1 << 20}), p, 42);
    const double kept = mask.ne(0).to(at::kDouble).mean().item<double>();
    // 2^20 Bernoulli draws: the standard error is below 5e-4.
    EXPECT_NEAR(kept, 1.0 - p, 3e-3) << p;
    at::Tensor values = mask.masked_select(mask.ne(0));
    EXPECT_TRUE(at::all(values.eq(static_cast<float>(1.0 / (1.0 - p)))).item<bool>());
  }
}

TEST(FastDropout, NeighboursAndCallsAreNotCorrelated) {
  at::Tensor a = dropout_mask(at::empty({1 << 18}), 0.5, 1).ne(0).to(at::kDouble);
  at::Tensor b = dropout_mask(at::empty({1 << 18}), 0.5, 2).ne(0).to(at::kDouble);
  auto corr = [](const at::Tensor& x, const at::Tensor& y) {
    auto xc = x - x.mean(), yc = y - y.mean();
    return ((xc * yc).mean() / (xc.std(false) * yc.std(false))).item<double>();
  };
  EXPECT_LT(std::abs(corr(a, b)), 0.01);  // two seeds
  const int64_t n = a.numel();
  EXPECT_LT(std::abs(corr(a.narrow(0, 0, n - 1), a.narrow(0, 1, n - 1))), 0.01);  // pairs
  EXPECT_LT(std::abs(corr(a.narrow(0, 0, n - 2), a.narrow(0, 2, n - 2))), 0.01);  // draws
}

TEST(FastDropout, SameSeedSameMaskForAnyThreadCount) {
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  at::Tensor one = dropout_mask(at::empty({3, 10001}), 0.1, 7);
  at::set_num_threads(2);
  at::Tensor two = dropout_mask(at::empty({3, 10001}), 0.1, 7);
  at::set_num_threads(threads);
  EXPECT_TRUE(at::equal(one, two));
  EXPECT_FALSE(at::equal(one, dropout_mask(at::empty({3, 10001}), 0.1, 8)));
}

TEST(FastDropout, GradientGoesThroughTheSameMask) {
  at::manual_seed(3);
  at::Tensor x = at::randn({64, 48}).set_requires_grad(true);
  at::Tensor y = model::dropout(x, 0.2, /*train=*/true);
  at::Tensor g = at::randn({64, 48});
  y.backward(g);
  // Where kept, y = x * 1.25 and dy/dx = 1.25; where dropped, both are 0.
  at::Tensor kept = y.detach().ne(0);
  EXPECT_TRUE(at::allclose(y.detach(), at::where(kept, x.detach() * 1.25, at::zeros_like(x))));
  EXPECT_TRUE(at::allclose(x.grad(), at::where(kept, g * 1.25, at::zeros_like(g))));
  EXPECT_GT(kept.logical_not().sum().item<int64_t>(), 0);
}

TEST(FastDropout, SeededByTheGlobalGeneratorAndKeepsDtype) {
  at::Tensor x = at::ones({1000}, at::kBFloat16);
  at::manual_seed(5);
  at::Tensor a = model::dropout(x, 0.1, true);
  at::Tensor a2 = model::dropout(x, 0.1, true);
  at::manual_seed(5);
  at::Tensor b = model::dropout(x, 0.1, true);
  EXPECT_EQ(a.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_FALSE(at::equal(a, a2));  // each call draws a new seed
}

TEST(FastDropout, IdentityOutsideTrainingAndAtenWhenOff) {
  at::Tensor x = at::randn({100});
  EXPECT_TRUE(model::dropout(x, 0.1, /*train=*/false).is_same(x));
  EXPECT_TRUE(model::dropout(x, 0.0, /*train=*/true).is_same(x));
  set_fast_dropout(false);
  at::manual_seed(9);
  at::Tensor off = model::dropout(x, 0.3, true);
  at::manual_seed(9);
  at::Tensor aten = at::dropout(x, 0.3, true);
  set_fast_dropout(true);
  EXPECT_TRUE(at::equal(off, aten));
}

}  // namespace
}  // namespace berth::model
