// ModernBertModel (embeddings, layers, final_norm) and ModernBertForSequenceClassification
// ([CLS] or mean pooling, head = dense + act + norm, dropout, classifier), computing what
// transformers' classes of the same names compute on CPU (the padded sdpa path), with their
// parameter names: named_parameters() of ModernBertClassifier are the keys of an HF
// ModernBertForSequenceClassification state_dict ("model.embeddings.tok_embeddings.weight", ...,
// "head.dense.weight", "classifier.weight").
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>
#include <optional>
#include <vector>

#include "model/modernbert_config.h"
#include "model/modernbert_layers.h"
#include "model/sequence_classifier.h"

namespace berth::model {

class ModernBertModel : public torch::nn::Module {
 public:
  explicit ModernBertModel(const ModernBertConfig& c);
  // input_ids, attention_mask (1 = token, 0 = padding; undefined: all ones): (batch, seq).
  // Returns the final-normed last hidden state, (batch, seq, hidden).
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& attention_mask);

  std::shared_ptr<ModernBertEmbeddings> embeddings;
  std::vector<std::shared_ptr<ModernBertEncoderLayer>> layers;  // registered as "layers.<i>"
  std::shared_ptr<ModernBertNorm> final_norm;

 private:
  int64_t window_;  // local layers see keys at most this many positions away
};

// HF's ModernBertPredictionHead, registered as "head": norm(act(dense(x))).
class ModernBertHead : public torch::nn::Module {
 public:
  explicit ModernBertHead(const ModernBertConfig& c);
  at::Tensor forward(const at::Tensor& x);

  std::shared_ptr<ModernBertLinear> dense;
  std::shared_ptr<ModernBertNorm> norm;

 private:
  Activation activation_;
};

class ModernBertClassifier : public SequenceClassifier {
 public:
  ModernBertClassifier(const ModernBertConfig& c, int64_t num_labels);
  // last_hidden: (batch, seq, hidden) at every position (mean pooling reads them all, and
  // set_last_layer_cls_only does not apply); pooled: the head's output, (batch, hidden); logits
  // (batch, num_labels). No token types: token_type_ids is ignored.
  ClassifierOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                           const at::Tensor& token_type_ids) override;

  ModelFamily family() const override { return ModelFamily::kModernBert; }
  int64_t num_labels() const override { return classifier->weight.size(0); }
  const at::Tensor& word_embedding_weight() const override {
    return model->embeddings->tok_embeddings->weight;
  }
  std::vector<std::string> head_prefixes() const override { return {"classifier"}; }
  // A bare ModernBertModel has no head (a masked-LM checkpoint has one, which HF reuses).
  std::vector<std::string> optional_prefixes() const override { return {"head"}; }
  // As HF's _init_weights: N(0, hidden^-1/2) truncated at initializer_cutoff_factor standard
  // deviations, zero bias.
  void reset_classifier(std::optional<at::Generator> gen) override;
  // The head (dense, norm) as HF's _init_weights: the dense as an "out" projection, N(0,
  // initializer_range / sqrt(2 x layers)) truncated, unit norm. load_classifier calls it when a
  // bare ModernBertModel has none, so that a seeded load is reproducible and says so.
  void reset_head(std::optional<at::Generator> gen);
  void set_last_layer_cls_only(bool) override {}

  std::shared_ptr<ModernBertModel> model;
  std::shared_ptr<ModernBertHead> head;
  std::shared_ptr<Dense> classifier;  // always with a bias, as HF's nn.Linear

 private:
  Pooling pooling_;
  double classifier_dropout_, classifier_std_, head_std_, cutoff_;
};

}  // namespace berth::model
