#include "model/classification_metrics.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace berth::test {
namespace {

using model::ConfusionMatrix;

TEST(ClassificationMetrics, HandCheckedThreeClasses) {
  ConfusionMatrix cm({"a", "b", "c"});
  // labels:      a a a a b b c c c c
  // predictions: a a b c b b c c a c   (streamed in two batches)
  cm.add({0, 0, 1, 2}, {0, 0, 0, 0});
  cm.add({1, 1, 2, 2, 0, 2}, {1, 1, 2, 2, 2, 2});
  auto r = cm.report();
  EXPECT_EQ(r.total, 10);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.7);
  // a: tp 2, predicted 3, support 4 -> P 2/3, R 1/2, F1 4/7
  // b: tp 2, predicted 3, support 2 -> P 2/3, R 1,   F1 4/5
  // c: tp 3, predicted 4, support 4 -> P 3/4, R 3/4, F1 3/4
  EXPECT_DOUBLE_EQ(r.per_class[0].precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(r.per_class[0].recall, 0.5);
  EXPECT_NEAR(r.per_class[0].f1, 4.0 / 7, 1e-12);
  EXPECT_NEAR(r.per_class[1].f1, 0.8, 1e-12);
  EXPECT_NEAR(r.per_class[2].f1, 0.75, 1e-12);
  EXPECT_EQ(r.per_class[1].support, 2);
  EXPECT_EQ(r.per_class[1].predicted, 3);
  EXPECT_NEAR(r.macro_f1, (4.0 / 7 + 0.8 + 0.75) / 3, 1e-12);
  EXPECT_EQ(cm.count(0, 1), 1);  // one "a" predicted as "b"
  EXPECT_EQ(r.confusion[2][0], 1);

  auto j = r.to_json();
  EXPECT_EQ(j["labels"], nlohmann::json({"a", "b", "c"}));
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.7);
  EXPECT_EQ(j["per_class"]["b"]["support"], 2);
  EXPECT_EQ(j["confusion_matrix"][0], nlohmann::json({2, 1, 1}));
}

TEST(ClassificationMetrics, NeverPredictedClassHasZeroPrecision) {
  ConfusionMatrix cm({"neg", "pos"});
  cm.add({0, 0, 0}, {0, 1, 1});
  auto r = cm.report();
  EXPECT_DOUBLE_EQ(r.per_class[1].precision, 0.0);  // no predictions: 0 by convention
  EXPECT_DOUBLE_EQ(r.per_class[1].recall, 0.0);
  EXPECT_DOUBLE_EQ(r.per_class[1].f1, 0.0);
  EXPECT_DOUBLE_EQ(r.per_class[0].f1, 0.5);  // P 1/3, R 1
  EXPECT_DOUBLE_EQ(r.macro_f1, 0.25);
}

TEST(ClassificationMetrics, AbsentClassesDoNotCountInMacroF1) {
  ConfusionMatrix cm({"x", "y", "z"});
  cm.add({0, 1}, {0, 1});
  auto r = cm.report();
  EXPECT_EQ(r.per_class[2].support, 0);
  EXPECT_DOUBLE_EQ(r.macro_f1, 1.0);  // z: neither labelled nor predicted
}

TEST(ClassificationMetrics, EmptyMergeAndErrors) {
  ConfusionMatrix cm({"a", "b"});
  EXPECT_EQ(cm.report().accuracy, 0.0);
  EXPECT_EQ(cm.report().macro_f1, 0.0);
  ConfusionMatrix other({"a", "b"});
  other.add(1, 1);
  cm.merge(other);
  cm.merge(other);
  EXPECT_EQ(cm.total(), 2);
  EXPECT_EQ(cm.raw_counts(), (std::vector<int64_t>{0, 0, 0, 2}));
  EXPECT_THROW(cm.add({0, 2}, {0, 1}), Error);  // prediction out of range
  EXPECT_THROW(cm.add({0}, {0, 1}), Error);     // length mismatch
  EXPECT_EQ(cm.total(), 2);                     // a rejected batch adds nothing
  EXPECT_THROW(cm.merge(ConfusionMatrix({"a", "c"})), Error);
  cm.reset();
  EXPECT_EQ(cm.total(), 0);
}

}  // namespace
}  // namespace berth::test
