// BertModel (embeddings, encoder, pooler) and BertForSequenceClassification (dropout + linear head
// on the pooled [CLS] state), computing what Hugging Face's classes of the same names compute,
// with the same parameter names: named_parameters() of BertClassifier are the keys of an HF
// BertForSequenceClassification state_dict ("bert.embeddings.word_embeddings.weight", ...,
// "classifier.weight").
//
// BertModel is also the base model of the families with BERT's encoder (RobertaModel,
// XLMRobertaModel, ElectraModel): their embeddings differ (BertEmbeddings handles that), ELECTRA
// projects them to the hidden width, and none of them has a pooler in its classifier.
//
// Dtypes and devices follow the parameters and the caller: the modules work in fp32, in
// bf16/fp16 after module->to(dtype), and under autocast.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>

#include "model/bert_layers.h"
#include "model/model_config.h"
#include "model/sequence_classifier.h"

namespace berth::model {

// logits undefined from BertModel; pooled undefined without a pooler.
using BertOutput = ClassifierOutput;

class BertPooler : public torch::nn::Module {
 public:
  explicit BertPooler(const BertConfig& c);
  at::Tensor forward(const at::Tensor& last_hidden);
  std::shared_ptr<Dense> dense;
};

class BertModel : public torch::nn::Module {
 public:
  // with_pooler: BertModel's pooler ("pooler.dense"); the other families' classifiers have none.
  explicit BertModel(const BertConfig& c, bool with_pooler = true);
  // input_ids, attention_mask (1 = token, 0 = padding), token_type_ids: (batch, seq) integer
  // tensors on the model's device. attention_mask and token_type_ids may be undefined (all ones,
  // all zeros), as in HF.
  BertOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                     const at::Tensor& token_type_ids);

  std::shared_ptr<BertEmbeddings> embeddings;
  // ELECTRA's embedding_size -> hidden_size map, when the two differ; else null.
  std::shared_ptr<Dense> embeddings_project;
  std::shared_ptr<BertEncoder> encoder;
  std::shared_ptr<BertPooler> pooler;  // null without a pooler
  int64_t max_positions;               // the longest input (ModelConfig::max_sequence_length)
  // The last encoder layer for the [CLS] position only (BertEncoder::forward): all that the
  // pooler reads. BertClassifier turns it on; off gives every position's last hidden state.
  bool last_layer_cls_only = false;
};

class BertClassifier : public SequenceClassifier {
 public:
  BertClassifier(const BertConfig& c, int64_t num_labels);
  BertOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                     const at::Tensor& token_type_ids) override;

  ModelFamily family() const override { return ModelFamily::kBert; }
  int64_t num_labels() const override { return classifier->weight.size(0); }
  const at::Tensor& word_embedding_weight() const override {
    return bert->embeddings->word_embeddings->weight;
  }
  std::vector<std::string> head_prefixes() const override { return {"classifier"}; }
  std::vector<std::string> optional_prefixes() const override { return {"bert.pooler"}; }
  void reset_classifier(std::optional<at::Generator> gen) override;
  void set_last_layer_cls_only(bool on) override { bert->last_layer_cls_only = on; }

  std::shared_ptr<BertModel> bert;
  std::shared_ptr<Dense> classifier;
  double classifier_dropout;
  double initializer_range;
};

// The additive attention mask HF's sdpa path builds: (batch, 1, 1, seq) with 0 where
// attention_mask is 1 and the dtype's lowest value where it is 0 — or undefined when nothing is
// padded, because HF then passes no mask at all (and kernels may differ with one).
at::Tensor additive_attention_mask(const at::Tensor& attention_mask, at::ScalarType dtype);

}  // namespace berth::model
