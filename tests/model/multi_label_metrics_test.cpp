// Multi-label metrics on a case small enough to count by hand (values worked out in the
// comments, not read from the code), threshold tuning on the 0.01 grid, and the sums that ranks
// add up.
#include "model/multi_label_metrics.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace berth::model {
namespace {

// 4 examples, 3 labels.
//   truth            probabilities       predicted at 0.5
//   [1, 0, 1]        [.9, .2, .4]        [1, 0, 0]
//   [0, 1, 0]        [.6, .7, .1]        [1, 1, 0]
//   [1, 1, 0]        [.8, .3, .2]        [1, 0, 0]
//   [0, 0, 0]        [.1, .1, .4]        [0, 0, 0]   <- the only exact set
const double kProbs[4][3] = {{.9, .2, .4}, {.6, .7, .1}, {.8, .3, .2}, {.1, .1, .4}};
const int64_t kTruth[4][3] = {{1, 0, 1}, {0, 1, 0}, {1, 1, 0}, {0, 0, 0}};

MultiLabelMetrics filled(std::vector<double> thresholds = {}) {
  MultiLabelMetrics m({"a", "b", "c"}, std::move(thresholds));
  for (int i = 0; i < 4; ++i) m.add(kProbs[i], kTruth[i]);
  return m;
}

TEST(MultiLabelMetrics, CountsByHandAtTheDefaultThreshold) {
  auto r = filled().report();
  EXPECT_TRUE(r.multi_label);
  EXPECT_EQ(r.total, 4);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.25);  // subset accuracy: example 4 only
  // a: tp 2, fp 1, fn 0 -> P 2/3, R 1, F1 0.8; b: tp 1, fp 0, fn 1 -> F1 2/3; c: tp 0, fn 1 -> 0.
  ASSERT_EQ(r.per_class.size(), 3u);
  EXPECT_NEAR(r.per_class[0].precision, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.per_class[0].f1, 0.8, 1e-12);
  EXPECT_EQ(r.per_class[0].support, 2);
  EXPECT_EQ(r.per_class[0].predicted, 3);
  EXPECT_NEAR(r.per_class[1].f1, 2.0 / 3, 1e-12);
  EXPECT_EQ(r.per_class[2].support, 1);
  EXPECT_EQ(r.per_class[2].predicted, 0);
  EXPECT_EQ(r.per_class[2].f1, 0.0);
  // micro: tp 3, fp 1, fn 2 -> P 0.75, R 0.6, F1 2/3; macro: (0.8 + 2/3 + 0) / 3.
  EXPECT_NEAR(r.micro_precision, 0.75, 1e-12);
  EXPECT_NEAR(r.micro_recall, 0.6, 1e-12);
  EXPECT_NEAR(r.micro_f1, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.macro_f1, (0.8 + 2.0 / 3) / 3, 1e-12);
  EXPECT_EQ(r.thresholds, (std::vector<double>{0.5, 0.5, 0.5}));
  auto j = r.to_json();
  EXPECT_EQ(j["problem_type"], "multi_label_classification");
  EXPECT_DOUBLE_EQ(j["per_class"]["c"]["threshold"].get<double>(), 0.5);
}

TEST(MultiLabelMetrics, TunedThresholdsMaximiseEachLabelsF1NearestHalf) {
  // a: positives .9 .8, negatives .6 .1 -> F1 1 for t in (0.6, 0.8]: nearest 0.5 is 0.61.
  // b: positives .7 .3, negatives .2 .1 -> F1 1 for t in (0.2, 0.3]: 0.30.
  // c: positive .4, negatives .1 .2 .4 -> best F1 2/3 for t in (0.2, 0.4]: 0.40 (0.4 >= 0.4).
  auto t = filled().tuned_thresholds();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_DOUBLE_EQ(t[0], 0.61);
  EXPECT_DOUBLE_EQ(t[1], 0.30);
  EXPECT_DOUBLE_EQ(t[2], 0.40);
  // Re-scored at those thresholds: a and b perfect, c tp 1 fp 1 -> micro tp 5 fp 1 fn 0.
  auto r = filled(t).report();
  EXPECT_NEAR(r.micro_f1, 10.0 / 11, 1e-12);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.75);  // example 4 now predicts c
}

TEST(MultiLabelMetrics, ALabelWithoutPositivesKeepsHalf) {
  MultiLabelMetrics m({"x"});
  const double p[] = {0.3};
  const int64_t y[] = {0};
  m.add(p, y);
  EXPECT_EQ(m.tuned_thresholds(), std::vector<double>{0.5});
}

TEST(MultiLabelMetrics, SumsOfTwoHalvesEqualTheWhole) {
  MultiLabelMetrics a({"a", "b", "c"}), b({"a", "b", "c"});
  for (int i = 0; i < 4; ++i) (i < 2 ? a : b).add(kProbs[i], kTruth[i]);
  auto sa = a.sums(), sb = b.sums();
  for (size_t i = 0; i < sa.size(); ++i) sa[i] += sb[i];
  MultiLabelMetrics whole({"a", "b", "c"});
  whole.load_sums(sa);
  EXPECT_EQ(whole.report().to_json(), filled().report().to_json());
  EXPECT_EQ(whole.tuned_thresholds(), filled().tuned_thresholds());
  EXPECT_THROW(whole.load_sums({1.0}), Error);
}

TEST(MultiLabelMetrics, ThresholdsOutsideTheOpenUnitIntervalAreRefused) {
  EXPECT_THROW(MultiLabelMetrics({"a"}, {1.0}), Error);
  EXPECT_THROW(MultiLabelMetrics({"a"}, {0.0}), Error);
  EXPECT_THROW(MultiLabelMetrics({"a", "b"}, {0.5}), Error);
}

}  // namespace
}  // namespace berth::model
