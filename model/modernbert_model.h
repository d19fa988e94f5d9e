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

#include "model/bert_model.h"
#include "model/modernbert_config.h"
#include "model/modernbert_layers.h"

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

class ModernBertClassifier : public torch::nn::Module {
 public:
  ModernBertClassifier(const ModernBertConfig& c, int64_t num_labels);
  // As BertClassifier::forward: last_hidden (batch, seq, hidden), pooled (the head's output,
  // (batch, hidden)), logits (batch, num_labels).
  BertOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                     const at::Tensor& token_type_ids = {});

  // As HF's _init_weights: truncated normals (classifier std hidden^-0.5, head.dense std
  // initializer_range / sqrt(2 x layers)), zero biases, unit norm.
  void reset_classifier(std::optional<at::Generator> gen);
  void reset_head(std::optional<at::Generator> gen);
  int64_t num_labels() const { return classifier->weight.size(0); }

  std::shared_ptr<ModernBertModel> model;
  std::shared_ptr<ModernBertHead> head;
  std::shared_ptr<ModernBertLinear> classifier;

 private:
  Pooling pooling_;
  double classifier_dropout_, head_std_, classifier_std_, cutoff_;
};

}  // namespace berth::model
