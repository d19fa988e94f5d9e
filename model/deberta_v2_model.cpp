#include "model/deberta_v2_model.h"

#include "common/error.h"
#include "model/fast_dropout.h"

namespace berth::model {

DebertaV2Model::DebertaV2Model(const DebertaV2Config& c) {
  embeddings = register_module("embeddings", std::make_shared<DebertaV2Embeddings>(c));
  encoder = register_module("encoder", std::make_shared<DebertaV2Encoder>(c));
  if (c.position_biased_input) max_positions_ = c.max_position_embeddings;
  // HF's _init_weights for DeBERTa-v2 is BERT's.
  init_bert_weights(*this, c.initializer_range, std::nullopt);
}

at::Tensor DebertaV2Model::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                   const at::Tensor& token_type_ids) {
  if (input_ids.dim() != 2)
    throw usage_error("model", "input_ids must be (batch, seq), got " +
                                   std::to_string(input_ids.dim()) + " dimensions");
  if (max_positions_ && input_ids.size(1) > *max_positions_)
    throw usage_error("model",
                      "sequence length " + std::to_string(input_ids.size(1)) +
                          " exceeds the model's max_position_embeddings " +
                          std::to_string(*max_positions_),
                      "lower max_length to at most " + std::to_string(*max_positions_));
  at::Tensor ids = input_ids.to(at::kLong);
  at::Tensor mask = attention_mask.defined() ? attention_mask.to(at::kLong) : at::ones_like(ids);
  at::Tensor types = token_type_ids.defined() ? token_type_ids.to(at::kLong) : at::zeros_like(ids);
  at::Tensor x = embeddings->forward(ids, types, mask);  // (batch, seq, hidden)
  return encoder->forward(x, mask);
}

ContextPooler::ContextPooler(const DebertaV2Config& c)
    : dropout_(c.pooler_dropout), activation_(c.pooler_activation) {
  dense = register_module("dense", std::make_shared<Dense>(c.hidden_size, c.hidden_size));
}

at::Tensor ContextPooler::forward(const at::Tensor& last_hidden) {
  at::Tensor first = last_hidden.select(1, 0);  // (batch, hidden)
  first = model::dropout(first, dropout_, is_training());
  return activate(dense->forward(first), activation_);
}

DebertaV2Classifier::DebertaV2Classifier(const DebertaV2Config& c, int64_t num_labels)
    : classifier_dropout_(c.classifier_dropout), initializer_range_(c.initializer_range) {
  if (num_labels <= 0)
    throw usage_error("model", "num_labels must be positive, got " + std::to_string(num_labels));
  deberta = register_module("deberta", std::make_shared<DebertaV2Model>(c));
  pooler = register_module("pooler", std::make_shared<ContextPooler>(c));
  classifier = register_module("classifier", std::make_shared<Dense>(c.hidden_size, num_labels));
  pooler->dense->reset(initializer_range_, std::nullopt);
  reset_classifier(std::nullopt);
}

void DebertaV2Classifier::reset_classifier(std::optional<at::Generator> gen) {
  classifier->reset(initializer_range_, gen);
}

ClassifierOutput DebertaV2Classifier::forward(const at::Tensor& input_ids,
                                              const at::Tensor& attention_mask,
                                              const at::Tensor& token_type_ids) {
  ClassifierOutput out;
  out.last_hidden = deberta->forward(input_ids, attention_mask, token_type_ids);
  out.pooled = pooler->forward(out.last_hidden);  // (batch, hidden)
  at::Tensor h = model::dropout(out.pooled, classifier_dropout_, is_training());
  out.logits = classifier->forward(h);  // (batch, num_labels)
  return out;
}

}  // namespace berth::model
