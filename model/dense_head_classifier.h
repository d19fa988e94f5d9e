// The families with BERT's encoder but their own head on the first position and no pooler:
// RoBERTa and XLM-R (RobertaClassificationHead: dropout, dense, tanh, dropout, out_proj) and
// ELECTRA (ElectraClassificationHead: the same with GELU). Parameter names are transformers':
// "roberta.embeddings...", "electra.embeddings_project...", "classifier.dense.weight",
// "classifier.out_proj.weight".
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>

#include "model/bert_model.h"
#include "model/sequence_classifier.h"

namespace berth::model {

class DenseClassificationHead : public torch::nn::Module {
 public:
  DenseClassificationHead(int64_t hidden, int64_t num_labels, std::optional<Activation> activation,
                          double dropout);
  // last_hidden: (batch, seq or 1, hidden). Returns (batch, num_labels).
  at::Tensor forward(const at::Tensor& last_hidden);

  std::shared_ptr<Dense> dense, out_proj;
  // RoBERTa's tanh is not among the feed-forward activations; nullopt means tanh.
  std::optional<Activation> activation;
  double dropout;
};

class DenseHeadClassifier : public SequenceClassifier {
 public:
  // c.family: kRoberta, kXlmRoberta or kElectra.
  DenseHeadClassifier(const ModelConfig& c, int64_t num_labels);
  ClassifierOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                           const at::Tensor& token_type_ids) override;

  ModelFamily family() const override { return family_; }
  int64_t num_labels() const override { return classifier->out_proj->weight.size(0); }
  const at::Tensor& word_embedding_weight() const override {
    return encoder->embeddings->word_embeddings->weight;
  }
  std::vector<std::string> head_prefixes() const override { return {"classifier"}; }
  void reset_classifier(std::optional<at::Generator> gen) override;
  void set_last_layer_cls_only(bool on) override { encoder->last_layer_cls_only = on; }

  std::shared_ptr<BertModel> encoder;  // registered as "roberta" or "electra"
  std::shared_ptr<DenseClassificationHead> classifier;

 private:
  ModelFamily family_;
  double initializer_range_;
};

}  // namespace berth::model
