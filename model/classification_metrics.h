// Classification metrics from a streamed confusion matrix: feed batches of (prediction, label)
// pairs, then read accuracy, macro-F1 and per-class precision/recall/F1/support. Torch-free; the
// raw counts are exposed so that ranks can sum them (all-reduce) before reporting.
//
// Conventions (those of scikit-learn's defaults, so numbers agree with the usual Python tooling):
// - precision of a class never predicted is 0; recall of a class with no support is 0; F1 is 0
//   when precision + recall is 0.
// - macro-F1 is the unweighted mean of F1 over the classes that occur among the labels or the
//   predictions; classes absent from both are listed with support 0 but do not count.
// - accuracy and macro_f1 are fractions in [0, 1]; both are 0 when nothing was added.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::model {

struct ClassMetrics {
  std::string name;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  int64_t support = 0;    // examples whose label is this class
  int64_t predicted = 0;  // examples predicted as this class
};

struct ClassificationReport {
  int64_t total = 0;
  double accuracy = 0;  // multi-label: subset accuracy (the predicted set is the true set)
  double macro_f1 = 0;
  std::vector<ClassMetrics> per_class;
  std::vector<std::vector<int64_t>> confusion;  // [label][prediction]; single-label only
  // Multi-label (model/multi_label_metrics.h): per_class holds each label's binary decisions,
  // micro_* pool them all, thresholds are the decision thresholds used (label order).
  bool multi_label = false;
  double micro_precision = 0, micro_recall = 0, micro_f1 = 0;
  std::vector<double> thresholds;

  // The metric by its train.metric name (loss excepted): micro_f1 is accuracy for single-label.
  double micro_f1_or_accuracy() const { return multi_label ? micro_f1 : accuracy; }

  // {"total", "accuracy", "macro_f1", "per_class": {name: {...}}, "labels": [...],
  //  "confusion_matrix": rows = true label, columns = prediction}; multi-label instead:
  // {"problem_type": "multi_label_classification", "total", "subset_accuracy", "accuracy" (the
  //  same), "micro_f1", "micro_precision", "micro_recall", "macro_f1", "labels", "per_class"
  //  (each with its "threshold")}
  nlohmann::json to_json() const;
};

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(std::vector<std::string> label_names);

  // One batch; predictions[i] and labels[i] are class ids in [0, num_classes). Throws
  // berth::data_error on a length mismatch or an id out of range (nothing of the batch is added).
  void add(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);
  void add(int64_t prediction, int64_t label);
  void merge(const ConfusionMatrix& other);
  void reset();

  int64_t num_classes() const { return static_cast<int64_t>(names_.size()); }
  const std::vector<std::string>& label_names() const { return names_; }
  int64_t count(int64_t label, int64_t prediction) const {
    return counts_[label * num_classes() + prediction];
  }
  int64_t total() const;
  // Row-major [label][prediction], num_classes² entries: what a distributed run sums.
  std::vector<int64_t>& raw_counts() { return counts_; }
  const std::vector<int64_t>& raw_counts() const { return counts_; }

  ClassificationReport report() const;

 private:
  void check(int64_t id, const char* what) const;
  std::vector<std::string> names_;
  std::vector<int64_t> counts_;
};

}  // namespace berth::model
