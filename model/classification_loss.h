// The training loss of a classifier head, as Hugging Face's BertForSequenceClassification
// computes it for the same problem_type, but summed over the batch so that the trainer can
// divide by the global example count (several ranks, gradient accumulation):
// - single-label: cross-entropy of the logits against class ids; `weights` (labels) weigh each
//   example by its class (the trainer then divides by the sum of the weights, as torch's
//   weighted mean does);
// - multi-label: binary cross-entropy with logits against the multi-hot targets, summed over
//   the labels and divided by their number; `weights` (labels) are BCEWithLogitsLoss's
//   pos_weight. Divided by the example count this is HF's mean over (batch × labels).
// label_smoothing eps (train.label_smoothing): single-label as torch's cross_entropy defines it;
// multi-label targets moved towards 1/2, y (1 - eps) + eps / 2.
#pragma once

#include <ATen/ATen.h>

#include "common/choices.h"

namespace berth::model {

// logits (batch, labels) fp32; labels (batch) int64 class ids, or (batch, labels) 0/1 (any
// integer or floating dtype) for multi-label; weights undefined or (labels) fp32.
at::Tensor classification_loss_sum(const at::Tensor& logits, const at::Tensor& labels,
                                   ProblemType problem, const at::Tensor& weights,
                                   double label_smoothing = 0);

}  // namespace berth::model
