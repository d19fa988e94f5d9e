// DeBERTa-v2's encoder (DeBERTa-v3 checkpoints included) as torch::nn modules, computing what
// transformers' modeling_deberta_v2.py computes, with its submodule and parameter names (so that
// named_parameters() are the keys of a DebertaV2Model state_dict). The leaf modules (Dense,
// LayerNorm, Embedding) and the residual blocks are BERT's (model/bert_layers.h): DeBERTa keeps
// BERT's names and initialisation there.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>
#include <vector>

#include "model/bert_layers.h"
#include "model/deberta_v2_config.h"

namespace berth::model {

// word (+ absolute position, unless position_biased_input is false) (+ token type, when
// type_vocab_size > 0) embeddings, LayerNorm, zeroed at padding, dropout.
class DebertaV2Embeddings : public torch::nn::Module {
 public:
  explicit DebertaV2Embeddings(const DebertaV2Config& c);
  // input_ids, token_type_ids, attention_mask: (batch, seq) int64. Returns (batch, seq, hidden).
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                     const at::Tensor& attention_mask);

  std::shared_ptr<Embedding> word_embeddings;
  std::shared_ptr<Embedding> position_embeddings;    // null when !position_biased_input
  std::shared_ptr<Embedding> token_type_embeddings;  // null when type_vocab_size == 0
  std::shared_ptr<LayerNorm> LayerNorm_;
  double dropout;
};

// Disentangled self-attention, registered as "self": content-to-content scores plus
// content-to-position (c2p: a query against the relative position of each key) and
// position-to-content (p2c: each key against the query's relative position) terms, all divided
// by sqrt(head_dim * (1 + number of position terms)).
class DisentangledSelfAttention : public torch::nn::Module {
 public:
  explicit DisentangledSelfAttention(const DebertaV2Config& c);
  // hidden: (batch, seq, hidden); mask: (batch, 1, seq, seq) bool, true where both the query
  // and the key are tokens; relative_pos: (seq, seq) int64 bucketed query - key distances;
  // rel_embeddings: (2 x span, hidden), already normalised. The last two are undefined without
  // relative attention. Returns (batch, seq, hidden).
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& mask,
                     const at::Tensor& relative_pos, const at::Tensor& rel_embeddings);

  std::shared_ptr<Dense> query_proj, key_proj, value_proj;
  std::shared_ptr<Dense> pos_key_proj, pos_query_proj;  // only without share_att_key

 private:
  // (batch, seq, heads x head_dim) -> (batch, heads, seq, head_dim)
  at::Tensor split_heads(const at::Tensor& x) const;
  // The c2p and p2c terms, (batch, heads, seq, seq).
  at::Tensor position_scores(const at::Tensor& q, const at::Tensor& k,
                             const at::Tensor& relative_pos, const at::Tensor& rel_embeddings,
                             const at::Tensor& scale);

  int64_t heads_, head_dim_, span_, scale_factor_;
  bool relative_attention_, share_att_key_, c2p_, p2c_;
  double attention_dropout_, position_dropout_;
};

class DebertaV2Attention : public torch::nn::Module {
 public:
  explicit DebertaV2Attention(const DebertaV2Config& c);
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& mask,
                     const at::Tensor& relative_pos, const at::Tensor& rel_embeddings);

  std::shared_ptr<DisentangledSelfAttention> self;
  std::shared_ptr<BertResidualOutput> output;
};

class DebertaV2Intermediate : public torch::nn::Module {
 public:
  explicit DebertaV2Intermediate(const DebertaV2Config& c);
  at::Tensor forward(const at::Tensor& x);  // (batch, seq, intermediate)

  std::shared_ptr<Dense> dense;

 private:
  Activation activation_;
};

class DebertaV2Layer : public torch::nn::Module {
 public:
  explicit DebertaV2Layer(const DebertaV2Config& c);
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& mask,
                     const at::Tensor& relative_pos, const at::Tensor& rel_embeddings);

  std::shared_ptr<DebertaV2Attention> attention;
  std::shared_ptr<DebertaV2Intermediate> intermediate;
  std::shared_ptr<BertResidualOutput> output;
};

// The layers, plus the relative position embeddings every layer shares ("rel_embeddings", with
// "LayerNorm" over them when norm_rel_ebd is "layer_norm").
class DebertaV2Encoder : public torch::nn::Module {
 public:
  explicit DebertaV2Encoder(const DebertaV2Config& c);
  // hidden: (batch, seq, hidden); attention_mask: (batch, seq), 1 = token.
  at::Tensor forward(at::Tensor hidden, const at::Tensor& attention_mask);

  std::vector<std::shared_ptr<DebertaV2Layer>> layers;  // registered as "layer.<i>"
  std::shared_ptr<Embedding> rel_embeddings;            // null without relative_attention
  std::shared_ptr<LayerNorm> LayerNorm_;                // null unless norm_rel_ebd

 private:
  int64_t position_buckets_, max_relative_positions_;
};

// HF's build_relative_position: (seq, seq) int64, query position - key position, log-bucketed
// (make_log_bucket_position, in float32 as there) when bucket_size > 0: distances below
// bucket_size / 2 stay exact, longer ones share buckets whose width grows logarithmically up to
// max_position.
at::Tensor deberta_relative_positions(int64_t seq, int64_t bucket_size, int64_t max_position,
                                      const at::Device& device);

}  // namespace berth::model
