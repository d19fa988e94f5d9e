#include "trainer/loss_scaler.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <limits>

#include "common/error.h"

namespace berth::trainer {
namespace {

TEST(LossScaler, SkipsAndHalvesOnOverflowThenGrows) {
  LossScaler s(true, at::kCPU, {1024.0, 2.0, 0.5, 3, 1e-3});
  auto g = at::full({4}, 2048.0f);
  EXPECT_TRUE(s.unscale_and_update({g}));
  EXPECT_FLOAT_EQ(g[0].item<float>(), 2.0f);  // unscaled by 1024
  auto bad = at::tensor({1.0f, std::numeric_limits<float>::infinity()});
  EXPECT_FALSE(s.unscale_and_update({g, bad}));
  EXPECT_DOUBLE_EQ(s.scale(), 512.0);
  EXPECT_EQ(s.skipped_steps(), 1);
  auto nan = at::tensor({std::numeric_limits<float>::quiet_NaN()});
  EXPECT_FALSE(s.unscale_and_update({nan}));
  EXPECT_DOUBLE_EQ(s.scale(), 256.0);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(s.unscale_and_update({at::ones({2})}));
  EXPECT_DOUBLE_EQ(s.scale(), 512.0);  // grew after 3 good steps
  auto st = s.state();
  LossScaler restored(true, at::kCPU, {1024.0, 2.0, 0.5, 3, 1e-3});
  restored.load_state(st);
  EXPECT_DOUBLE_EQ(restored.scale(), 512.0);
  EXPECT_EQ(restored.skipped_steps(), 2);
}

TEST(LossScaler, CollapseIsAClearError) {
  LossScaler s(true, at::kCPU, {1.0, 2.0, 0.5, 2000, 0.1});
  auto inf = at::tensor({std::numeric_limits<float>::infinity()});
  try {
    for (int i = 0; i < 10; ++i) s.unscale_and_update({inf.clone()});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNumeric);
    EXPECT_NE(std::string(e.what()).find("loss scale collapsed"), std::string::npos);
  }
}

// The path training takes: no value read back; the flag and the skip count stay on the device.
TEST(LossScaler, OnDeviceFlagsOverflowAndCountsSkips) {
  LossScaler s(true, at::kCPU, {1024.0, 2.0, 0.5, 3, 1e-3});
  auto g = at::full({2}, 2048.0f);
  auto ok = s.unscale_on_device({g});
  EXPECT_EQ(ok.item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(g[0].item<float>(), 2.0f);
  auto bad = at::tensor({std::numeric_limits<float>::infinity()});
  EXPECT_EQ(s.unscale_on_device({bad}).item<float>(), 1.0f);
  EXPECT_DOUBLE_EQ(s.scale(), 512.0);
  EXPECT_EQ(s.skipped_steps(), 1);
  EXPECT_FALSE(LossScaler(false, at::kCPU).unscale_on_device({bad}).defined());
}

TEST(LossScaler, DisabledIsIdentity) {
  LossScaler s(false, at::kCPU);
  auto loss = at::tensor(3.0f);
  EXPECT_FLOAT_EQ(s.scale_loss(loss).item<float>(), 3.0f);
  auto inf = at::tensor({std::numeric_limits<float>::infinity()});
  EXPECT_TRUE(s.unscale_and_update({inf}));
}

}  // namespace
}  // namespace berth::trainer
