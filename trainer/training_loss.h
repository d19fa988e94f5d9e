// The loss a training step minimises: the classification loss of model/classification_loss.h,
// with the recipe options of train.label_smoothing and distill.* (docs/training.md). Summed over
// the batch, like classification_loss_sum, so that the step divides by the global normaliser.
// - single-label with label smoothing eps: torch's F.cross_entropy(label_smoothing=eps), i.e.
//   (1 - eps) * CE(y) + eps * mean over classes of -log p_c (class weights weigh both terms as
//   torch does);
// - multi-label with label smoothing: BCE against y * (1 - eps) + eps / 2;
// - distillation with a teacher, temperature T and weight alpha:
//   (1 - alpha) * that loss + alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T))
//   per example; multi-label: alpha * T^2 * BCE(student / T, sigmoid(teacher / T)), averaged
//   over the labels like the BCE term. T^2 keeps the teacher term's gradients at the scale of
//   the label term's as T changes (Hinton et al., 2015).
// Evaluation losses stay the plain classification loss (the evaluator's), so dev losses compare
// across recipes.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "common/choices.h"
#include "data/tokenizer.h"
#include "model/batch_tensors.h"
#include "model/sequence_classifier.h"
#include "trainer/train_config.h"

namespace berth::trainer {

struct LossRecipe {
  double label_smoothing = 0;
  double temperature = 2;  // distillation only
  double alpha = 0;        // weight of the teacher term; 0 without a teacher
};

// logits (batch, labels) fp32; labels as classification_loss_sum takes them; weights undefined
// or (labels); teacher_logits undefined (no distillation) or (batch, labels) fp32.
at::Tensor training_loss_sum(const at::Tensor& logits, const at::Tensor& labels,
                             ProblemType problem, const at::Tensor& weights,
                             const at::Tensor& teacher_logits, const LossRecipe& recipe);

class TrainingLoss {
 public:
  // `class_weights` on the step's device, or undefined; `teacher` null without distillation.
  TrainingLoss(const TrainConfig& cfg, ProblemType problem, at::Tensor class_weights,
               std::shared_ptr<model::SequenceClassifier> teacher);

  // The step's loss sum for the student's `logits` (fp32) on batch `t`; runs the teacher on the
  // same batch (no grad) when distilling.
  at::Tensor sum(const at::Tensor& logits, const model::BatchTensors& t) const;

 private:
  ProblemType problem_;
  at::Tensor class_weights_;
  std::shared_ptr<model::SequenceClassifier> teacher_;
  LossRecipe recipe_;
};

// distill.teacher loaded as `berth predict` loads a checkpoint (eval mode, fp32, on `device`),
// or null when distill.teacher is empty. Refuses a teacher whose label map, problem type or
// tokenizer differs from the student's training data and tokenizer.
std::shared_ptr<model::SequenceClassifier> load_teacher(const TrainConfig& cfg,
                                                        const std::vector<std::string>& labels,
                                                        ProblemType problem,
                                                        const data::Tokenizer& tokenizer,
                                                        const at::Device& device);

}  // namespace berth::trainer
