// Logits -> loss, predictions and metrics, streamed: the one evaluation path behind `berth eval`
// (logits from model/predictor.h, one example at a time) and the trainer's dev and test
// evaluations (logits of a batch). Losses are computed in double from the fp32 logits:
// - single-label: cross-entropy (log-sum-exp minus the true class's logit); the prediction is
//   the argmax (the first of equal maxima, as torch.argmax); metrics: classification_metrics.h;
// - multi-label: binary cross-entropy with logits, the mean over the labels (transformers'
//   BCEWithLogitsLoss per example); each label is predicted at or over its threshold;
//   metrics: multi_label_metrics.h.
// Nothing per example is kept, except, when thresholds are to be tuned, the probabilities of
// the examples added here (to score them again at the tuned thresholds). The header is
// torch-free (at::Tensor declared only) so that command files need not compile LibTorch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/choices.h"
#include "model/classification_metrics.h"
#include "model/multi_label_metrics.h"

namespace at {
class Tensor;
}

namespace berth::model {

class EvalAccumulator {
 public:
  // `thresholds`: multi-label decision thresholds in label order (empty: 0.5 each).
  // `keep_for_tuning`: keep what tune_thresholds() needs (multi-label only).
  explicit EvalAccumulator(std::vector<std::string> label_names,
                           ProblemType problem = ProblemType::kSingleLabel,
                           std::vector<double> thresholds = {}, bool keep_for_tuning = false);

  // logits (batch, labels) on any device, any floating dtype; labels (batch) int64 class ids,
  // or (batch, labels) 0/1 for multi-label. A label out of range is a berth::data_error.
  void add(const at::Tensor& logits, const at::Tensor& labels);
  // One example's logits, one per label, and its label ids: exactly one for single-label, the
  // (possibly empty) set for multi-label.
  void add(const std::vector<float>& logits, const std::vector<int64_t>& label_ids);
  void add(const std::vector<float>& logits, int64_t label) { add(logits, std::vector{label}); }

  ProblemType problem() const { return problem_; }
  int64_t total() const;
  double mean_loss() const;  // NaN when nothing was added
  ClassificationReport report() const;

  // Everything accumulated, as one vector of doubles (the loss sum, then the counts): ranks that
  // each scored a disjoint part sum these vectors (all-reduce) and load the sum back.
  std::vector<double> sums() const;
  void load_sums(const std::vector<double>& sums);

  // Multi-label, keep_for_tuning: chooses each label's threshold from the (summed) histograms,
  // then scores this accumulator's own examples again at them. With several ranks, sum
  // decision_sums() afterwards and load the sum back.
  std::vector<double> tune_thresholds();
  std::vector<double> decision_sums() const;
  void load_decision_sums(const std::vector<double>& sums);

 private:
  void add_single(const double* logits, int64_t n, const int64_t* labels);
  void add_multi(const double* logits, int64_t n, const int64_t* targets);

  ProblemType problem_;
  int64_t k_;
  std::unique_ptr<ConfusionMatrix> cm_;
  std::unique_ptr<MultiLabelMetrics> ml_;
  double loss_sum_ = 0;
  bool keep_ = false;
  std::vector<double> kept_probs_;   // (examples, labels) when keep_
  std::vector<int64_t> kept_truth_;  // (examples, labels) when keep_
};

}  // namespace berth::model
