// The prediction for a text read in windows (`berth eval/predict --windows`): its windows'
// logits are combined as they arrive, by their mean or their element-wise maximum
// (--window-aggregate); the text's probabilities are the softmax of the combined logits and its
// label their argmax. Only the running sum or maximum is kept, so a text's windows can stream
// through as many batches as they need.
#pragma once

#include <cstdint>
#include <vector>

#include "common/choices.h"
#include "model/predictor.h"

namespace berth::model {

class WindowAggregator {
 public:
  explicit WindowAggregator(WindowAggregate how = WindowAggregate::kMean) : how_(how) {}

  void add(const std::vector<float>& logits);
  int64_t windows() const { return n_; }
  // Needs at least one window.
  Prediction result() const;

 private:
  WindowAggregate how_;
  std::vector<double> acc_;  // sum (mean) or maximum (max) of the logits so far
  int64_t n_ = 0;
};

}  // namespace berth::model
