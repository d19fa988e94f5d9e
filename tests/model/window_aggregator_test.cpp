// How the logits of a text's windows (--windows) become the text's prediction
// (model/window_aggregator.h), on numbers worked by hand. `berth predict --windows` end to end is
// tests/launcher/windows_predict_test.cpp.
#include "model/window_aggregator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"

namespace berth::test {
namespace {

TEST(WindowAggregator, MeanAndMaxOfLogitsThenSoftmax) {
  model::WindowAggregator mean(WindowAggregate::kMean), max(WindowAggregate::kMax);
  for (auto* a : {&mean, &max}) {
    a->add({1, 2, 3});
    a->add({3, 0, -1});
  }
  EXPECT_EQ(mean.windows(), 2);
  auto m = mean.result();
  EXPECT_EQ(m.logits, (std::vector<float>{2, 1, 1}));
  EXPECT_EQ(m.label, 0);
  const double z = std::exp(2.0) + 2 * std::exp(1.0);
  EXPECT_NEAR(m.probs[0], std::exp(2.0) / z, 1e-7);
  EXPECT_NEAR(m.probs[1], std::exp(1.0) / z, 1e-7);
  auto x = max.result();
  EXPECT_EQ(x.logits, (std::vector<float>{3, 2, 3}));
  EXPECT_EQ(x.label, 0);  // the first of equal maxima, as argmax
  const double zx = 2 * std::exp(3.0) + std::exp(2.0);
  EXPECT_NEAR(x.probs[1], std::exp(2.0) / zx, 1e-7);
  // One window: its own prediction.
  model::WindowAggregator one(WindowAggregate::kMean);
  one.add({0.5f, -0.5f});
  EXPECT_EQ(one.result().logits, (std::vector<float>{0.5f, -0.5f}));
  EXPECT_THROW(model::WindowAggregator().result(), Error);
}

}  // namespace
}  // namespace berth::test
