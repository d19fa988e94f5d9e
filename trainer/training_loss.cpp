#include "trainer/training_loss.h"

#include <c10/core/GradMode.h>

#include <filesystem>

#include "common/error.h"
#include "common/short_list.h"
#include "model/classification_loss.h"
#include "model/pretrained.h"

namespace berth::trainer {

at::Tensor training_loss_sum(const at::Tensor& logits, const at::Tensor& labels,
                             ProblemType problem, const at::Tensor& weights,
                             const at::Tensor& teacher_logits, const LossRecipe& recipe) {
  const double labels_count = static_cast<double>(logits.size(1));
  const at::Tensor hard =
      model::classification_loss_sum(logits, labels, problem, weights, recipe.label_smoothing);
  if (!teacher_logits.defined() || recipe.alpha == 0) return hard;
  const double t = recipe.temperature;
  at::Tensor soft;
  if (problem == ProblemType::kSingleLabel) {
    soft = at::kl_div(at::log_softmax(logits / t, -1), at::log_softmax(teacher_logits / t, -1),
                      at::Reduction::Sum, /*log_target=*/true);
  } else {
    soft =
        at::binary_cross_entropy_with_logits(logits / t, at::sigmoid(teacher_logits / t),
                                             /*weight=*/{}, /*pos_weight=*/{}, at::Reduction::Sum) /
        labels_count;
  }
  return (1.0 - recipe.alpha) * hard + (recipe.alpha * t * t) * soft;
}

TrainingLoss::TrainingLoss(const TrainConfig& cfg, ProblemType problem, at::Tensor class_weights,
                           std::shared_ptr<model::SequenceClassifier> teacher)
    : problem_(problem), class_weights_(std::move(class_weights)), teacher_(std::move(teacher)) {
  recipe_.label_smoothing = cfg.train.label_smoothing;
  if (teacher_) recipe_.temperature = cfg.distill.temperature, recipe_.alpha = cfg.distill.alpha;
}

at::Tensor TrainingLoss::sum(const at::Tensor& logits, const model::BatchTensors& t) const {
  at::Tensor teacher_logits;
  if (teacher_) {
    c10::NoGradGuard no_grad;
    teacher_logits =
        teacher_->forward(t.input_ids, t.attention_mask, t.token_type_ids).logits.to(at::kFloat);
  }
  return training_loss_sum(logits, t.labels, problem_, class_weights_, teacher_logits, recipe_);
}

std::shared_ptr<model::SequenceClassifier> load_teacher(const TrainConfig& cfg,
                                                        const std::vector<std::string>& labels,
                                                        ProblemType problem,
                                                        const data::Tokenizer& tokenizer,
                                                        const at::Device& device) {
  const std::string& dir = cfg.distill.teacher;
  if (dir.empty()) return nullptr;
  if (!std::filesystem::is_directory(dir)) {
    throw usage_error("distill", "'distill.teacher' is " + dir + ", which is not a directory",
                      "name a checkpoint directory of a trained Berth (or Hugging Face) "
                      "classifier, e.g. runs/big/checkpoints/best");
  }
  auto teacher = model::load_classifier(dir, std::nullopt, device);
  if (teacher.label_names != labels) {
    throw data_error("distill",
                     "the teacher " + dir + " has the labels [" + short_list(teacher.label_names) +
                         "] but the training data has [" + short_list(labels) + "]",
                     "distill.teacher must be trained on the same label set, in the same order");
  }
  const bool teacher_multi = teacher.config.problem_type == ProblemType::kMultiLabel;
  if (teacher_multi != (problem == ProblemType::kMultiLabel)) {
    throw data_error("distill",
                     "the teacher " + dir + " is a " +
                         (teacher_multi ? "multi-label" : "single-label") +
                         " classifier but the training data is not",
                     "distill.teacher must solve the same problem type (data.multi_label)");
  }
  const auto teacher_tokenizer = data::Tokenizer::from_directory(dir);
  if (teacher_tokenizer.fingerprint() != tokenizer.fingerprint()) {
    throw data_error("distill",
                     "the teacher " + dir + " has another tokenizer than model.path " +
                         cfg.model.path + " (vocabulary or settings differ)",
                     "the teacher reads the student's token ids: distill.teacher must use the "
                     "same tokenizer as model.path");
  }
  teacher.model->eval();
  for (auto& p : teacher.model->parameters()) p.set_requires_grad(false);
  return teacher.model;
}

}  // namespace berth::trainer
