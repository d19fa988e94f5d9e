#include "model/dense_head_classifier.h"

#include "common/error.h"
#include "model/fast_dropout.h"

namespace berth::model {

DenseClassificationHead::DenseClassificationHead(int64_t hidden, int64_t num_labels,
                                                 std::optional<Activation> activation,
                                                 double dropout)
    : activation(activation), dropout(dropout) {
  dense = register_module("dense", std::make_shared<Dense>(hidden, hidden));
  out_proj = register_module("out_proj", std::make_shared<Dense>(hidden, num_labels));
}

at::Tensor DenseClassificationHead::forward(const at::Tensor& last_hidden) {
  at::Tensor x = model::dropout(last_hidden.select(1, 0), dropout, is_training());  // (batch, h)
  x = dense->forward(x);
  x = activation ? activate(x, *activation) : at::tanh(x);
  x = model::dropout(x, dropout, is_training());
  return out_proj->forward(x);  // (batch, num_labels)
}

DenseHeadClassifier::DenseHeadClassifier(const ModelConfig& c, int64_t num_labels)
    : family_(c.family), initializer_range_(c.initializer_range) {
  if (num_labels <= 0)
    throw usage_error("model", "num_labels must be positive, got " + std::to_string(num_labels));
  encoder = register_module(base_model_prefix(c.family),
                            std::make_shared<BertModel>(c, /*with_pooler=*/false));
  encoder->last_layer_cls_only = true;
  // ElectraClassificationHead takes get_activation("gelu") whatever hidden_act says.
  std::optional<Activation> act;
  if (c.family == ModelFamily::kElectra) act = Activation::kGelu;
  classifier = register_module(
      "classifier", std::make_shared<DenseClassificationHead>(c.hidden_size, num_labels, act,
                                                              c.effective_classifier_dropout()));
  reset_classifier(std::nullopt);
}

void DenseHeadClassifier::reset_classifier(std::optional<at::Generator> gen) {
  classifier->dense->reset(initializer_range_, gen);
  classifier->out_proj->reset(initializer_range_, gen);
}

ClassifierOutput DenseHeadClassifier::forward(const at::Tensor& input_ids,
                                              const at::Tensor& attention_mask,
                                              const at::Tensor& token_type_ids) {
  ClassifierOutput out = encoder->forward(input_ids, attention_mask, token_type_ids);
  out.logits = classifier->forward(out.last_hidden);
  return out;
}

}  // namespace berth::model
