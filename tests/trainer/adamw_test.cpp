// AdamW and the schedules against torch.optim.AdamW + transformers' schedulers (run at test time).
#include "trainer/adamw.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"
#include "trainer/lr_schedule.h"

namespace berth::trainer {
namespace {

struct Case {
  std::string schedule;
  int warmup, total, steps;
  double lr, wd;
};

class AdamWParity : public ::testing::TestWithParam<Case> {};

TEST_P(AdamWParity, MatchesTorchAndTransformers) {
  const Case c = GetParam();
  char args[256];
  std::snprintf(args, sizeof args, "optim_oracle.py %s %d %d %d %.17g %.17g", c.schedule.c_str(),
                c.warmup, c.total, c.steps, c.lr, c.wd);
  auto ref = nlohmann::json::parse(test::run_python(args).out);

  for (bool fused : {false, true}) {
    SCOPED_TRACE(fused ? "fused" : "unfused");
    auto w = at::arange(12, at::kFloat).mul(0.37).sin().reshape({3, 4}).set_requires_grad(true);
    auto b = at::arange(4, at::kFloat).mul(0.11).cos().set_requires_grad(true);
    AdamWOptions o{0.9, 0.999, 1e-8, c.wd};
    o.fused = fused;
    AdamW opt({{"classifier.weight", w}, {"classifier.bias", b}}, o);
    LrSchedule sched(parse_choice<Schedule>(c.schedule).value(), c.lr, c.warmup, c.total);
    for (int k = 0; k < c.steps; ++k) {
      w.mutable_grad() = at::arange(12, at::kFloat).add(k).mul(0.7).cos().reshape({3, 4});
      b.mutable_grad() = at::arange(4, at::kFloat).add(k).mul(1.3).sin();
      double lr = sched.lr(k);
      EXPECT_NEAR(lr, ref["lrs"][k].get<double>(), 1e-12 * c.lr) << "step " << k;
      opt.step(lr);
    }
    auto wf = w.detach().flatten();
    for (int i = 0; i < 12; ++i)
      EXPECT_NEAR(wf[i].item<double>(), ref["w"][i].get<double>(), 1e-6) << "w[" << i << "]";
    for (int i = 0; i < 4; ++i)
      EXPECT_NEAR(b[i].item<double>(), ref["b"][i].get<double>(), 1e-6) << "b[" << i << "]";
    // The parameters moved: a comparison of untouched tensors would prove nothing.
    EXPECT_GT((w.detach().flatten() - at::arange(12, at::kFloat).mul(0.37).sin())
                  .abs()
                  .max()
                  .item<double>(),
              1e-4);
  }
}

INSTANTIATE_TEST_SUITE_P(Schedules, AdamWParity,
                         ::testing::Values(Case{"linear", 3, 10, 10, 1e-2, 0.01},
                                           Case{"cosine", 2, 8, 8, 5e-3, 0.1},
                                           Case{"constant", 4, 10, 7, 1e-2, 0.0},
                                           Case{"linear", 0, 6, 6, 3e-2, 0.05}));

TEST(AdamW, NoDecayOnBiasAndLayerNorm) {
  auto m = at::ones({2, 2});
  EXPECT_TRUE(AdamW::decays("bert.encoder.layer.0.output.dense.weight", m));
  EXPECT_FALSE(AdamW::decays("bert.encoder.layer.0.output.dense.bias", at::ones({2})));
  EXPECT_FALSE(AdamW::decays("bert.embeddings.LayerNorm.weight", at::ones({2})));
}

// Both update paths (multi-tensor and one tensor at a time) must equal torch's single-tensor AdamW
// arithmetic bit for bit on CPU (resume and the CPU parity tests rely on it); the reference here is
// written per tensor.
TEST(AdamW, BothUpdatePathsEqualThePerTensorArithmetic) {
  for (int multi_tensor : {0, 1}) {
    SCOPED_TRACE(multi_tensor ? "multi-tensor" : "one tensor at a time");
    at::manual_seed(3);
    std::vector<NamedParameter> params = {{"layer.dense.weight", at::randn({5, 7})},
                                          {"layer.dense.bias", at::randn({7})},
                                          {"layer.LayerNorm.weight", at::randn({7})},
                                          {"unused.weight", at::randn({3, 3})}};
    std::vector<at::Tensor> ref, m, v;
    for (auto& p : params) {
      p.tensor.set_requires_grad(true);
      ref.push_back(p.tensor.detach().clone());
      m.push_back(at::zeros_like(p.tensor));
      v.push_back(at::zeros_like(p.tensor));
    }
    AdamW opt(params, {0.9, 0.999, 1e-8, 0.01, multi_tensor});
    for (int step = 1; step <= 3; ++step) {
      const double lr = 1e-3 * step;
      for (size_t i = 0; i + 1 < params.size(); ++i)  // the last one never gets a gradient
        params[i].tensor.mutable_grad() = at::randn(params[i].tensor.sizes());
      opt.step(lr);
      const double bc1 = 1.0 - std::pow(0.9, step),
                   bc2_sqrt = std::sqrt(1.0 - std::pow(0.999, step));
      for (size_t i = 0; i + 1 < params.size(); ++i) {
        const auto& g = params[i].tensor.grad();
        if (AdamW::decays(params[i].name, params[i].tensor)) ref[i].mul_(1.0 - lr * 0.01);
        m[i].lerp_(g, 0.1);
        v[i].mul_(0.999).addcmul_(g, g, 0.001);
        ref[i].addcdiv_(m[i], (v[i].sqrt() / bc2_sqrt).add_(1e-8), -lr / bc1);
      }
    }
    for (size_t i = 0; i < params.size(); ++i)
      EXPECT_TRUE(at::equal(params[i].tensor.detach(), ref[i])) << params[i].name;
  }
}

// The fused kernel (ATen's _fused_adamw_, the path training takes by default) against the same
// per-tensor reference: equal within 1e-6 (it fuses the arithmetic, so not bit for bit), the
// parameter without a gradient untouched, the step count kept on the device.
TEST(AdamW, FusedMatchesThePerTensorArithmetic) {
  at::manual_seed(5);
  std::vector<NamedParameter> params = {{"layer.dense.weight", at::randn({5, 7})},
                                        {"layer.dense.bias", at::randn({7})},
                                        {"layer.LayerNorm.weight", at::randn({7})},
                                        {"unused.weight", at::randn({3, 3})}};
  std::vector<at::Tensor> ref, m, v, init;
  for (auto& p : params) {
    p.tensor.set_requires_grad(true);
    ref.push_back(p.tensor.detach().clone());
    init.push_back(p.tensor.detach().clone());
    m.push_back(at::zeros_like(p.tensor));
    v.push_back(at::zeros_like(p.tensor));
  }
  AdamWOptions o{0.9, 0.999, 1e-8, 0.01};
  o.fused = true;
  AdamW opt(params, o);
  for (int step = 1; step <= 5; ++step) {
    const double lr = 1e-2 * step;
    for (size_t i = 0; i + 1 < params.size(); ++i)
      params[i].tensor.mutable_grad() = at::randn(params[i].tensor.sizes());
    opt.step(lr);
    const double bc1 = 1.0 - std::pow(0.9, step), bc2_sqrt = std::sqrt(1.0 - std::pow(0.999, step));
    for (size_t i = 0; i + 1 < params.size(); ++i) {
      const auto& g = params[i].tensor.grad();
      if (AdamW::decays(params[i].name, params[i].tensor)) ref[i].mul_(1.0 - lr * 0.01);
      m[i].lerp_(g, 0.1);
      v[i].mul_(0.999).addcmul_(g, g, 0.001);
      ref[i].addcdiv_(m[i], (v[i].sqrt() / bc2_sqrt).add_(1e-8), -lr / bc1);
    }
  }
  EXPECT_EQ(opt.steps_taken(), 5);
  for (size_t i = 0; i + 1 < params.size(); ++i) {
    double diff = (params[i].tensor.detach() - ref[i]).abs().max().item<double>();
    EXPECT_LE(diff, 1e-6) << params[i].name;
    // It moved (lr up to 0.05 over five steps): equal untouched tensors would prove nothing.
    EXPECT_GT((params[i].tensor.detach() - init[i]).abs().max().item<double>(), 1e-2);
  }
  EXPECT_TRUE(at::equal(params.back().tensor.detach(), init.back()));
}

// fp16: where found_inf is set the fused update leaves parameters, moments and the step count
// as they were (torch.optim.AdamW(fused=True) with a GradScaler does the same).
TEST(AdamW, FusedSkipsTheStepWhereFoundInf) {
  auto w = at::ones({3, 3}).set_requires_grad(true);
  AdamWOptions o;
  o.fused = true;
  AdamW opt({{"dense.weight", w}}, o);
  w.mutable_grad() = at::full({3, 3}, 0.5f);
  opt.set_lr(0.1);
  opt.step_on_device(at::ones({1}));
  EXPECT_TRUE(at::equal(w.detach(), at::ones({3, 3})));
  EXPECT_EQ(opt.steps_taken(), 0);
  EXPECT_TRUE(at::equal(opt.state()[0].second, at::zeros({3, 3})));  // exp_avg untouched
  opt.step_on_device(at::zeros({1}));
  EXPECT_EQ(opt.steps_taken(), 1);
  EXPECT_LT(w.detach().max().item<double>(), 1.0);
}

// Resume: a fused optimizer restored from another's state (moments and step count) continues
// bit for bit as the original does.
TEST(AdamW, FusedContinuesExactlyFromLoadedState) {
  AdamWOptions o;
  o.fused = true;
  auto make = [] { return at::linspace(-1, 1, 12).reshape({3, 4}).set_requires_grad(true); };
  auto grad = [](int k) { return at::linspace(0, 1, 12).add(k).cos().reshape({3, 4}); };
  auto a = make();
  AdamW oa({{"dense.weight", a}}, o);
  for (int k = 0; k < 6; ++k) a.mutable_grad() = grad(k), oa.step(1e-2);
  auto b = make();
  AdamW ob({{"dense.weight", b}}, o);
  for (int k = 0; k < 3; ++k) b.mutable_grad() = grad(k), ob.step(1e-2);
  auto c = b.detach().clone().set_requires_grad(true);
  AdamW oc({{"dense.weight", c}}, o);
  oc.load_state(ob.state(), ob.steps_taken());
  for (int k = 3; k < 6; ++k) c.mutable_grad() = grad(k), oc.step(1e-2);
  EXPECT_TRUE(at::equal(a.detach(), c.detach()));
  EXPECT_EQ(oc.steps_taken(), 6);
}

// The training step's path: the clipping factor handed to the fused kernel as a divisor of the
// gradients, against clipping first (a pass of its own) and the plain fused update. Both with
// the norm above the limit (clipping acts) and below it (factor 1).
TEST(AdamW, ClipInsideTheFusedKernelEqualsClipThenStep) {
  for (double max_norm : {0.5, 1e3}) {
    SCOPED_TRACE(max_norm);
    at::manual_seed(11);
    auto init_w = at::randn({6, 5}), init_b = at::randn({5});
    auto make = [&](const at::Tensor& t) { return t.clone().set_requires_grad(true); };
    auto w1 = make(init_w), b1 = make(init_b), w2 = make(init_w), b2 = make(init_b);
    AdamWOptions o{0.9, 0.999, 1e-8, 0.01};
    o.fused = true;
    AdamW first({{"dense.weight", w1}, {"dense.bias", b1}}, o);
    AdamW inside({{"dense.weight", w2}, {"dense.bias", b2}}, o);
    at::Tensor n1 = at::zeros({}), n2 = at::zeros({});
    for (int step = 0; step < 4; ++step) {
      auto gw = at::randn({6, 5}), gb = at::randn({5});
      w1.mutable_grad() = gw.clone(), b1.mutable_grad() = gb.clone();
      w2.mutable_grad() = gw.clone(), b2.mutable_grad() = gb.clone();
      first.set_lr(1e-2), inside.set_lr(1e-2);
      clip_grad_norm_on_device({w1, b1}, max_norm, n1);
      first.step_on_device();
      at::Tensor coef = clip_coef_on_device({w2, b2}, max_norm, n2);
      ASSERT_TRUE(coef.defined());
      inside.step_on_device({}, coef.reciprocal());
      EXPECT_NEAR(n1.item<double>(), n2.item<double>(), 1e-6);
      // The kernel leaves the gradients clipped, as the separate pass does.
      EXPECT_LE((w1.grad() - w2.grad()).abs().max().item<double>(), 1e-6);
    }
    EXPECT_LE((w1.detach() - w2.detach()).abs().max().item<double>(), 1e-6);
    EXPECT_LE((b1.detach() - b2.detach()).abs().max().item<double>(), 1e-6);
    EXPECT_GT((w1.detach() - init_w).abs().max().item<double>(), 1e-3);  // it moved
  }
}

TEST(ClipGradNorm, OnDeviceEqualsTheHostVersion) {
  auto p = at::zeros({3}).set_requires_grad(true);
  auto q = at::zeros({3}).set_requires_grad(true);
  p.mutable_grad() = at::tensor({3.0f, 4.0f, 12.0f});
  q.mutable_grad() = p.grad().clone();
  at::Tensor norm = at::zeros({});
  clip_grad_norm_on_device({p}, 1.0, norm);
  EXPECT_NEAR(norm.item<double>(), clip_grad_norm({q}, 1.0), 1e-6);
  EXPECT_NEAR(norm.item<double>(), 13.0, 1e-5);
  EXPECT_TRUE(at::equal(p.grad(), q.grad()));
}

TEST(LrSchedule, WarmupFromRatioRoundsUp) {
  EXPECT_EQ(resolve_warmup(-1, 0.1, 25), 3);
  EXPECT_EQ(resolve_warmup(5, 0.1, 25), 5);
}

TEST(ClipGradNorm, ScalesToMaxNorm) {
  auto p = at::zeros({2}).set_requires_grad(true);
  p.mutable_grad() = at::tensor({3.0f, 4.0f});
  EXPECT_NEAR(clip_grad_norm({p}, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(p.grad().norm().item<double>(), 1.0, 1e-5);
  EXPECT_NEAR(clip_grad_norm({p}, 10.0), 1.0, 1e-5);  // below the limit: untouched
  EXPECT_NEAR(p.grad().norm().item<double>(), 1.0, 1e-5);
}

}  // namespace
}  // namespace berth::trainer
