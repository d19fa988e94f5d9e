#include "model/classification_loss.h"

namespace berth::model {

at::Tensor classification_loss_sum(const at::Tensor& logits, const at::Tensor& labels,
                                   ProblemType problem, const at::Tensor& weights) {
  if (problem == ProblemType::kSingleLabel)
    return at::cross_entropy_loss(logits, labels, weights, at::Reduction::Sum);
  const at::Tensor targets = labels.to(logits.scalar_type());  // (batch, labels) 0/1
  return at::binary_cross_entropy_with_logits(logits, targets, /*weight=*/{}, weights,
                                              at::Reduction::Sum) /
         static_cast<double>(logits.size(1));
}

}  // namespace berth::model
