#include "model/window_aggregator.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace berth::model {

void WindowAggregator::add(const std::vector<float>& logits) {
  if (n_ == 0) {
    acc_.assign(logits.begin(), logits.end());
  } else {
    if (logits.size() != acc_.size())
      throw Error("model", "windows of one text gave different numbers of logits");
    for (size_t k = 0; k < acc_.size(); ++k)
      acc_[k] = how_ == WindowAggregate::kMean ? acc_[k] + logits[k]
                                               : std::max<double>(acc_[k], logits[k]);
  }
  ++n_;
}

Prediction WindowAggregator::result() const {
  if (n_ == 0) throw Error("model", "a text without windows has no prediction");
  Prediction p;
  p.logits.resize(acc_.size());
  for (size_t k = 0; k < acc_.size(); ++k)
    p.logits[k] = static_cast<float>(how_ == WindowAggregate::kMean ? acc_[k] / n_ : acc_[k]);
  // Softmax in double, shifted by the maximum.
  const double mx = *std::max_element(p.logits.begin(), p.logits.end());
  double sum = 0;
  std::vector<double> e(acc_.size());
  for (size_t k = 0; k < acc_.size(); ++k) sum += e[k] = std::exp(double(p.logits[k]) - mx);
  p.probs.resize(acc_.size());
  for (size_t k = 0; k < acc_.size(); ++k) p.probs[k] = static_cast<float>(e[k] / sum);
  p.label = std::max_element(p.logits.begin(), p.logits.end()) - p.logits.begin();
  return p;
}

}  // namespace berth::model
