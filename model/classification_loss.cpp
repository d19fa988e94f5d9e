#include "model/classification_loss.h"

namespace berth::model {

at::Tensor classification_loss_sum(const at::Tensor& logits, const at::Tensor& labels,
                                   ProblemType problem, const at::Tensor& weights,
                                   double label_smoothing) {
  const double eps = label_smoothing;
  if (problem == ProblemType::kSingleLabel)
    return at::cross_entropy_loss(logits, labels, weights, at::Reduction::Sum,
                                  /*ignore_index=*/-100, eps);
  at::Tensor targets = labels.to(logits.scalar_type());  // (batch, labels) 0/1
  if (eps > 0) targets = targets * (1.0 - eps) + eps / 2.0;
  return at::binary_cross_entropy_with_logits(logits, targets, /*weight=*/{}, weights,
                                              at::Reduction::Sum) /
         static_cast<double>(logits.size(1));
}

}  // namespace berth::model
