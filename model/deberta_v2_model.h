// DebertaV2Model (embeddings, encoder) and DebertaV2ForSequenceClassification (ContextPooler,
// dropout, linear classifier), computing what transformers' classes of the same names compute,
// with their parameter names: named_parameters() of DebertaV2Classifier are the keys of an HF
// DebertaV2ForSequenceClassification state_dict ("deberta.embeddings.word_embeddings.weight",
// ..., "pooler.dense.weight", "classifier.weight").
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>
#include <optional>

#include "model/bert_model.h"
#include "model/deberta_v2_config.h"
#include "model/deberta_v2_layers.h"

namespace berth::model {

class DebertaV2Model : public torch::nn::Module {
 public:
  explicit DebertaV2Model(const DebertaV2Config& c);
  // input_ids, attention_mask (1 = token, 0 = padding), token_type_ids: (batch, seq) integer
  // tensors on the model's device; the last two may be undefined (all ones, all zeros) as in HF.
  // Returns the last hidden state, (batch, seq, hidden).
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                     const at::Tensor& token_type_ids);

  std::shared_ptr<DebertaV2Embeddings> embeddings;
  std::shared_ptr<DebertaV2Encoder> encoder;

 private:
  // Longest input: max_position_embeddings with absolute positions; relative positions alone
  // take any length (long distances share the outermost bucket).
  std::optional<int64_t> max_positions_;
};

// HF's ContextPooler, registered as "pooler": the first token's hidden state, dropout,
// dense, pooler_hidden_act.
class ContextPooler : public torch::nn::Module {
 public:
  explicit ContextPooler(const DebertaV2Config& c);
  at::Tensor forward(const at::Tensor& last_hidden);  // (batch, seq, hidden) -> (batch, hidden)

  std::shared_ptr<Dense> dense;

 private:
  double dropout_;
  Activation activation_;
};

class DebertaV2Classifier : public torch::nn::Module {
 public:
  DebertaV2Classifier(const DebertaV2Config& c, int64_t num_labels);
  // As BertClassifier::forward: last_hidden (batch, seq, hidden), pooled (the ContextPooler's
  // output, (batch, hidden)), logits (batch, num_labels).
  BertOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                     const at::Tensor& token_type_ids);

  // The head as HF initialises a missing one: N(0, initializer_range) weight, zero bias.
  void reset_classifier(std::optional<at::Generator> gen);
  void reset_pooler(std::optional<at::Generator> gen);
  int64_t num_labels() const { return classifier->weight.size(0); }

  std::shared_ptr<DebertaV2Model> deberta;
  std::shared_ptr<ContextPooler> pooler;
  std::shared_ptr<Dense> classifier;

 private:
  double classifier_dropout_, initializer_range_;
};

}  // namespace berth::model
