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

#include "model/bert_layers.h"
#include "model/deberta_v2_config.h"
#include "model/deberta_v2_layers.h"
#include "model/sequence_classifier.h"

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

class DebertaV2Classifier : public SequenceClassifier {
 public:
  DebertaV2Classifier(const DebertaV2Config& c, int64_t num_labels);
  // last_hidden: (batch, seq, hidden) at every position (set_last_layer_cls_only does not apply:
  // relative attention needs every position's keys, and this build computes the last layer
  // whole); pooled: the ContextPooler's output, (batch, hidden); logits (batch, num_labels).
  ClassifierOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                           const at::Tensor& token_type_ids) override;

  ModelFamily family() const override { return ModelFamily::kDebertaV2; }
  int64_t num_labels() const override { return classifier->weight.size(0); }
  const at::Tensor& word_embedding_weight() const override {
    return deberta->embeddings->word_embeddings->weight;
  }
  std::vector<std::string> head_prefixes() const override { return {"classifier"}; }
  // A bare DebertaV2Model or a masked-LM checkpoint has no ContextPooler.
  std::vector<std::string> optional_prefixes() const override { return {"pooler"}; }
  // The head as HF initialises a missing one: N(0, initializer_range) weight, zero bias.
  void reset_classifier(std::optional<at::Generator> gen) override;
  void set_last_layer_cls_only(bool) override {}

  std::shared_ptr<DebertaV2Model> deberta;
  std::shared_ptr<ContextPooler> pooler;
  std::shared_ptr<Dense> classifier;

 private:
  double classifier_dropout_, initializer_range_;
};

}  // namespace berth::model
