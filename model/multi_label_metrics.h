// Multi-label classification metrics, streamed: feed each example's per-label probabilities and
// its true label set (multi-hot); read subset accuracy, micro and macro F1 and per-label
// precision/recall/F1/support at the decision thresholds. Torch-free.
//
// - A label is predicted when its probability is at or over its threshold (default 0.5).
// - Conventions of classification_metrics.h (scikit-learn's defaults, zero_division=0):
//   micro-F1 pools every (example, label) decision; macro-F1 averages per-label F1 over the
//   labels that occur among the true labels or the predictions; subset accuracy counts examples
//   whose predicted set equals the true set exactly.
// - Per-label histograms of the probabilities over 100 bins let tuned_thresholds() choose each
//   label's threshold on the grid 0.01, 0.02, ..., 0.99 (the one with the highest F1 for that
//   label, ties to the one nearest 0.5) without keeping the examples. Bin j holds the
//   probabilities p with j/100 <= p < (j+1)/100 (bin 99 up to 1), compared in double exactly as
//   predictions are, so the counts at a grid threshold are exact.
// - sums()/load_sums() expose everything as one vector so that ranks can add their parts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/classification_metrics.h"

namespace berth::model {

inline constexpr int kThresholdBins = 100;
inline constexpr double kDefaultThreshold = 0.5;

// Whether a label is predicted: the one decision rule of evaluation and prediction.
inline bool over_threshold(double probability, double threshold) {
  return probability >= threshold;
}

class MultiLabelMetrics {
 public:
  // `thresholds` empty: 0.5 for every label; else one per label, each in (0, 1).
  explicit MultiLabelMetrics(std::vector<std::string> label_names,
                             std::vector<double> thresholds = {});

  // One example: probabilities[k] and truth[k] (0/1), k = num_labels(). `histogram` false
  // counts the decisions only (an example scored again at new thresholds).
  void add(const double* probabilities, const int64_t* truth, bool histogram = true);
  void reset_decisions();  // forget the thresholded counts (the histograms stay)
  void set_thresholds(std::vector<double> thresholds);  // for the following add() calls

  int64_t num_labels() const { return static_cast<int64_t>(names_.size()); }
  const std::vector<std::string>& label_names() const { return names_; }
  const std::vector<double>& thresholds() const { return thresholds_; }
  int64_t total() const { return total_; }

  // Each label's threshold on the grid that maximises its F1 over what was added.
  std::vector<double> tuned_thresholds() const;
  ClassificationReport report() const;

  std::vector<double> sums() const;
  void load_sums(const std::vector<double>& sums);
  // The thresholded part alone (total, subset-correct, per-label tp/fp/fn), for ranks that
  // re-scored their examples at new thresholds.
  std::vector<double> decision_sums() const;
  void load_decision_sums(const std::vector<double>& sums);

 private:
  std::vector<std::string> names_;
  std::vector<double> thresholds_;
  int64_t total_ = 0, subset_correct_ = 0;
  std::vector<int64_t> tp_, fp_, fn_;         // per label, at thresholds_
  std::vector<int64_t> pos_hist_, neg_hist_;  // [label * kThresholdBins + bin]
};

}  // namespace berth::model
