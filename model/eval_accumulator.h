// Logits -> loss, predictions and metrics, streamed: the one evaluation path behind `berth eval`
// (logits from model/predictor.h, one example at a time) and the trainer's dev and test
// evaluations (logits of a batch). The loss is the mean cross-entropy, computed in double from
// the fp32 logits as log-sum-exp minus the true class's logit; the prediction is the argmax
// (the first of equal maxima, as torch.argmax); the metrics follow model/classification_metrics.h.
// Nothing per example is kept: memory is one confusion matrix whatever the set's size. The header
// is torch-free (at::Tensor declared only) so that command files need not compile LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/classification_metrics.h"

namespace at {
class Tensor;
}

namespace berth::model {

class EvalAccumulator {
 public:
  explicit EvalAccumulator(std::vector<std::string> label_names);

  // logits (batch, labels) on any device, any floating dtype; labels (batch) int64 class ids.
  // A label out of range is a berth::data_error (nothing of the batch is added).
  void add(const at::Tensor& logits, const at::Tensor& labels);
  // One example's logits, one per label.
  void add(const std::vector<float>& logits, int64_t label);

  int64_t total() const { return cm_.total(); }
  double mean_loss() const;  // NaN when nothing was added
  ClassificationReport report() const { return cm_.report(); }

  // Everything accumulated, as one vector of doubles (the loss sum, then the counts): ranks that
  // each scored a disjoint part sum these vectors (all-reduce) and load the sum back.
  std::vector<double> sums() const;
  void load_sums(const std::vector<double>& sums);

 private:
  // Adds rows [0, n) of a row-major (n, k) block of logits.
  void add_rows(const double* logits, int64_t n, const int64_t* labels);

  ConfusionMatrix cm_;
  double loss_sum_ = 0;
};

}  // namespace berth::model
