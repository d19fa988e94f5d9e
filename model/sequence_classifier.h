// The one classifier interface every encoder family implements (model/model_family.h): what the
// trainer, the evaluator, the predictor, int8 and the checkpoint code see of a model. Each
// family's class computes what transformers' <Family>ForSequenceClassification computes, and its
// named_parameters() are that class's state_dict keys ("roberta.encoder.layer.0...",
// "classifier.out_proj.weight", ...), so checkpoints go both ways without renaming.
//
// Dtypes and devices follow the parameters and the caller: fp32, bf16/fp16 after
// module->to(dtype), and autocast.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <optional>
#include <string>
#include <vector>

#include "model/model_family.h"

namespace berth::model {

struct ClassifierOutput {
  // (batch, seq, hidden), padded positions included; (batch, 1, hidden), the [CLS] position
  // alone, while the last layer runs for [CLS] only (set_last_layer_cls_only, the default).
  at::Tensor last_hidden;
  // (batch, hidden): BERT's pooler output, tanh(dense(last_hidden[:, 0])); undefined for
  // families without a pooler.
  at::Tensor pooled;
  at::Tensor logits;  // (batch, num_labels)
};

class SequenceClassifier : public torch::nn::Module {
 public:
  // input_ids, attention_mask (1 = token, 0 = padding), token_type_ids: (batch, seq) integer
  // tensors on the model's device. attention_mask and token_type_ids may be undefined (all ones,
  // all zeros), as in HF; families without token types ignore token_type_ids.
  virtual ClassifierOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                   const at::Tensor& token_type_ids) = 0;

  virtual ModelFamily family() const = 0;
  virtual int64_t num_labels() const = 0;

  // The (vocab, embedding) word embedding table: its gradient is row-sparse, which the trainer's
  // gradient reduction exploits.
  virtual const at::Tensor& word_embedding_weight() const = 0;

  // Parameter-name prefixes of the task head ("classifier", DistilBERT's "pre_classifier"):
  // what a base checkpoint lacks and fine-tuning trains from scratch, what a different label
  // count discards, and what int8 leaves in fp32.
  virtual std::vector<std::string> head_prefixes() const = 0;
  // Prefixes of base-model parts a checkpoint may lack and that are then initialised as HF does
  // (BERT's pooler); empty for most families.
  virtual std::vector<std::string> optional_prefixes() const { return {}; }

  // The head as HF initialises a missing one: N(0, initializer_range) weights, zero biases.
  // Without a generator, LibTorch's default one is used.
  virtual void reset_classifier(std::optional<at::Generator> gen) = 0;

  // Every head here reads only the first position of the last layer, which can then be computed
  // for that position alone (BertEncoder::forward). On by default; off gives every position's
  // last hidden state (tests compare both).
  virtual void set_last_layer_cls_only(bool on) = 0;
};

}  // namespace berth::model
