// DistilBertModel and DistilBertForSequenceClassification with transformers' parameter names
// ("distilbert.embeddings.word_embeddings.weight", "distilbert.transformer.layer.0.attention.
// q_lin.weight", ..., "pre_classifier.weight", "classifier.weight"). The arithmetic is BERT's
// (same attention, feed-forward and LayerNorm placement) except that the attention output has no
// dropout of its own and there are no token types, so the layers reuse BERT's pieces.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>
#include <vector>

#include "model/bert_layers.h"
#include "model/sequence_classifier.h"

namespace berth::model {

// MultiHeadSelfAttention: BERT's self-attention under the names q_lin, k_lin, v_lin, with the
// output map out_lin in the same module.
class DistilBertAttention : public BertSelfAttention {
 public:
  explicit DistilBertAttention(const ModelConfig& c);
  // As BertSelfAttention::forward, then out_lin. (batch, queries, hidden).
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& mask,
                     const at::Tensor& queries_from = {});

  std::shared_ptr<Dense> out_lin;
};

// FFN: lin1, activation, lin2, dropout.
class DistilBertFfn : public torch::nn::Module {
 public:
  explicit DistilBertFfn(const ModelConfig& c);
  at::Tensor forward(const at::Tensor& x);

  std::shared_ptr<Dense> lin1, lin2;
  Activation activation;
  double dropout;
};

// TransformerBlock: post-LayerNorm residual blocks, as BertLayer.
class DistilBertBlock : public torch::nn::Module {
 public:
  explicit DistilBertBlock(const ModelConfig& c);
  // cls_only: the block's output at the first position alone, (batch, 1, hidden).
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& mask, bool cls_only = false);

  std::shared_ptr<DistilBertAttention> attention;
  std::shared_ptr<LayerNorm> sa_layer_norm;
  std::shared_ptr<DistilBertFfn> ffn;
  std::shared_ptr<LayerNorm> output_layer_norm;
};

class DistilBertModel : public torch::nn::Module {
 public:
  explicit DistilBertModel(const ModelConfig& c);
  // input_ids, attention_mask: (batch, seq); the mask may be undefined (all ones). Returns the
  // last hidden state, (batch, seq, hidden), or (batch, 1, hidden) with last_layer_cls_only.
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& attention_mask);

  std::shared_ptr<BertEmbeddings> embeddings;            // no token_type_embeddings
  std::vector<std::shared_ptr<DistilBertBlock>> layers;  // "transformer.layer.<i>"
  int64_t max_positions;
  bool last_layer_cls_only = false;
};

class DistilBertClassifier : public SequenceClassifier {
 public:
  DistilBertClassifier(const ModelConfig& c, int64_t num_labels);
  ClassifierOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                           const at::Tensor& token_type_ids) override;

  ModelFamily family() const override { return ModelFamily::kDistilBert; }
  int64_t num_labels() const override { return classifier->weight.size(0); }
  const at::Tensor& word_embedding_weight() const override {
    return distilbert->embeddings->word_embeddings->weight;
  }
  std::vector<std::string> head_prefixes() const override {
    return {"pre_classifier", "classifier"};
  }
  void reset_classifier(std::optional<at::Generator> gen) override;
  void set_last_layer_cls_only(bool on) override { distilbert->last_layer_cls_only = on; }

  std::shared_ptr<DistilBertModel> distilbert;
  std::shared_ptr<Dense> pre_classifier, classifier;
  double classifier_dropout;  // seq_classif_dropout
  double initializer_range;
};

}  // namespace berth::model
