// BertModel (embeddings, encoder, pooler) and BertForSequenceClassification (dropout + linear head
// on the pooled [CLS] state), computing what Hugging Face's classes of the same names compute,
// with the same parameter names: named_parameters() of BertClassifier are the keys of an HF
// BertForSequenceClassification state_dict ("bert.embeddings.word_embeddings.weight", ...,
// "classifier.weight").
//
// Dtypes and devices follow the parameters and the caller: the modules work in fp32, in
// bf16/fp16 after module->to(dtype), and under autocast.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>

#include "model/bert_config.h"
#include "model/bert_layers.h"

namespace berth::model {

struct BertOutput {
  // (batch, seq, hidden), padded positions included; (batch, 1, hidden), the [CLS] position,
  // when the model's last_layer_cls_only is set (a BertClassifier's default).
  at::Tensor last_hidden;
  at::Tensor pooled;  // (batch, hidden): tanh(dense(last_hidden[:, 0]))
  at::Tensor logits;  // (batch, num_labels); undefined from BertModel
};

class BertPooler : public torch::nn::Module {
 public:
  explicit BertPooler(const BertConfig& c);
  at::Tensor forward(const at::Tensor& last_hidden);
  std::shared_ptr<Dense> dense;
};

class BertModel : public torch::nn::Module {
 public:
  explicit BertModel(const BertConfig& c);
  // input_ids, attention_mask (1 = token, 0 = padding), token_type_ids: (batch, seq) integer
  // tensors on the model's device. attention_mask and token_type_ids may be undefined (all ones,
  // all zeros), as in HF.
  BertOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                     const at::Tensor& token_type_ids);

  std::shared_ptr<BertEmbeddings> embeddings;
  std::shared_ptr<BertEncoder> encoder;
  std::shared_ptr<BertPooler> pooler;
  int64_t max_positions;
  // The last encoder layer for the [CLS] position only (BertEncoder::forward): all that the
  // pooler reads. BertClassifier turns it on; off gives every position's last hidden state.
  bool last_layer_cls_only = false;
};

class BertClassifier : public torch::nn::Module {
 public:
  BertClassifier(const BertConfig& c, int64_t num_labels);
  BertOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                     const at::Tensor& token_type_ids);

  // The head as HF initialises a missing one: N(0, initializer_range) weight, zero bias.
  void reset_classifier(std::optional<at::Generator> gen);

  int64_t num_labels() const { return classifier->weight.size(0); }

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
