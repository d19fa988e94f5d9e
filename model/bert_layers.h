// The BERT encoder's building blocks as torch::nn modules. Submodule and parameter names are
// exactly those of Hugging Face's BertModel (including the TensorFlow-era "LayerNorm" spelling) so
// that named_parameters() matches an HF state_dict key for key.
//
// The leaf modules are Berth's own (thin wrappers over ATen ops) rather than torch::nn::Linear
// and friends: we need HF's initialisation and a padding_idx embedding anyway, and the narrow
// headers keep LibTorch compile times down.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "model/int8_linear.h"
#include "model/model_config.h"

namespace berth::model {

// Weight and bias of one linear map: y = x W^T + b.
class Dense : public torch::nn::Module {
 public:
  Dense(int64_t in_features, int64_t out_features);
  at::Tensor forward(const at::Tensor& x);
  // HF's _init_weights for nn.Linear: N(0, std) weights, zero bias.
  void reset(double std, std::optional<at::Generator> gen);
  at::Tensor weight;  // (out, in)
  at::Tensor bias;    // (out)
  // Set by quantize_linears_int8 (inference only): forward then runs the packed int8 kernel.
  std::shared_ptr<const PackedLinear> packed;
};

class LayerNorm : public torch::nn::Module {
 public:
  LayerNorm(int64_t dim, double eps);
  at::Tensor forward(const at::Tensor& x) {
    return at::layer_norm(x, {weight.size(0)}, weight, bias, eps_);
  }
  void reset();  // ones / zeros
  at::Tensor weight;
  at::Tensor bias;

 private:
  double eps_;
};

class Embedding : public torch::nn::Module {
 public:
  // Rows equal to padding_idx get no gradient, as with nn.Embedding(padding_idx=...).
  Embedding(int64_t num, int64_t dim, std::optional<int64_t> padding_idx = std::nullopt);
  at::Tensor forward(const at::Tensor& ids) {
    return at::embedding(weight, ids, padding_idx_.value_or(-1));
  }
  // N(0, std), with the padding row zeroed (HF's _init_weights for nn.Embedding).
  void reset(double std, std::optional<at::Generator> gen);
  at::Tensor weight;  // (num, dim)

 private:
  std::optional<int64_t> padding_idx_;
};

// word + position + token type embeddings, LayerNorm, dropout; of width c.embedding_size
// (ELECTRA's may be narrower than hidden_size). The families differ in two ways: RoBERTa and
// XLM-R number positions from the non-padding tokens (positions_after_padding), DistilBERT has
// no token types (type_vocab_size 0: no token_type_embeddings).
class BertEmbeddings : public torch::nn::Module {
 public:
  explicit BertEmbeddings(const BertConfig& c);
  // input_ids, token_type_ids: (batch, seq) int64; token_type_ids is unused without token
  // types. Returns (batch, seq, embedding).
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids);

  std::shared_ptr<Embedding> word_embeddings, position_embeddings, token_type_embeddings;
  std::shared_ptr<LayerNorm> LayerNorm_;
  double dropout;

 private:
  bool positions_after_padding_;
  int64_t pad_token_id_;
};

// HF's create_position_ids_from_input_ids: padding_idx + 1, + 2, ... over the non-padding
// tokens, padding_idx at padding. (batch, seq) int64.
at::Tensor positions_after_padding(const at::Tensor& input_ids, int64_t padding_idx);

// Multi-head self-attention through at::scaled_dot_product_attention (as HF's "sdpa"
// implementation, the default for BERT), registered as "self".
class BertSelfAttention : public torch::nn::Module {
 public:
  // names: what the query, key and value maps are registered as (DistilBERT's q_lin, k_lin,
  // v_lin).
  explicit BertSelfAttention(const BertConfig& c,
                             const std::array<const char*, 3>& names = {"query", "key", "value"});
  // hidden: (batch, seq, hidden); mask: additive (batch, 1, 1, seq) or undefined for none.
  // Returns (batch, seq, hidden); given queries_from = hidden.narrow(1, 0, 1), (batch, 1,
  // hidden): the [CLS] position's queries only, over every position's keys and values.
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& mask,
                     const at::Tensor& queries_from = {});

  std::shared_ptr<Dense> query, key, value;
  int64_t heads, head_dim;
  double dropout;
  // q, k and v from one GEMM over the concatenated weights (hidden -> 3 x hidden) instead of
  // three: one pass over the input, a wider GEMM, and in backward one input-gradient GEMM instead
  // of three plus two sums. The parameters stay the three HF tensors (the concatenation is
  // differentiated through). Off for int8-packed layers (inference); tests compare both paths.
  bool fused_qkv = true;
  // Training on CPU: attention as matmul / softmax / dropout / matmul with the probabilities'
  // dropout mask from model::dropout, instead of scaled_dot_product_attention, whose CPU path
  // with dropout (the math fallback; the fused CPU kernel has no dropout) draws that mask with
  // ATen's per-element bernoulli_. Same arithmetic as that fallback otherwise.
  bool composed_attention = true;
  // Set by fuse_int8_qkv (inference with int8 weights): q, k and v from one packed GEMM over the
  // concatenated weights, the activations quantised once instead of three times.
  std::shared_ptr<const PackedLinear> packed_qkv;
  // Set by pack_fp32_linears, which releases the three fp32 weights: the [CLS]-only layer, too,
  // takes q, k and v from packed_qkv over every position and keeps the first position's q (a
  // third of one layer's q/k/v GEMM more work, no second copy of the weights).
  bool cls_from_packed_qkv = false;
};

// Gives every BertSelfAttention inside `root` whose query, key and value are int8-packed
// (quantize_linears_int8) one packed GEMM for all three. Per-row weight scales and the one
// activation range are those of the three separate layers, and int8 products sum exactly in
// int32, so the outputs are the separate layers' ones. Returns how many were fused.
// `engine` must be the one the three layers were packed for.
int fuse_int8_qkv(torch::nn::Module& root, Int8Kernels kernels = default_int8_kernels());

// Dense + dropout + residual + LayerNorm; used after attention ("attention.output") and after
// the feed-forward ("output").
class BertResidualOutput : public torch::nn::Module {
 public:
  BertResidualOutput(int64_t in, int64_t hidden, double eps, double dropout);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& residual);

  std::shared_ptr<Dense> dense;
  std::shared_ptr<LayerNorm> LayerNorm_;
  double dropout;
};

class BertAttention : public torch::nn::Module {
 public:
  explicit BertAttention(const BertConfig& c);
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& mask, bool cls_only = false);

  std::shared_ptr<BertSelfAttention> self;
  std::shared_ptr<BertResidualOutput> output;
};

// The feed-forward activation.
at::Tensor activate(const at::Tensor& x, Activation a);

class BertIntermediate : public torch::nn::Module {
 public:
  explicit BertIntermediate(const BertConfig& c);
  at::Tensor forward(const at::Tensor& x);

  std::shared_ptr<Dense> dense;
  Activation activation;
  // Set by prepack_linears_onednn and pack_fp32_linears (inference): the packed dense applies the
  // activation in its GEMM (a post-op, an epilogue).
  bool activation_in_dense = false;
};

class BertLayer : public torch::nn::Module {
 public:
  explicit BertLayer(const BertConfig& c);
  // cls_only: the layer's output at the [CLS] position alone, (batch, 1, hidden) (see
  // BertEncoder::forward).
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& mask, bool cls_only = false);

  std::shared_ptr<BertAttention> attention;
  std::shared_ptr<BertIntermediate> intermediate;
  std::shared_ptr<BertResidualOutput> output;
};

class BertEncoder : public torch::nn::Module {
 public:
  explicit BertEncoder(const BertConfig& c);
  // last_layer_cls_only: the last layer computes the [CLS] position only, (batch, 1, hidden).
  // A classifier reads nothing else of the last layer, whose other positions would cost its
  // query projection, attention output, feed-forward and LayerNorms (10 of its 12 hidden^2
  // GEMM terms per token, forward and backward) for nothing; keys and values still cover every
  // position. Same logits and gradients (tests/model/compute_path_parity_test.cpp).
  at::Tensor forward(at::Tensor hidden, const at::Tensor& mask, bool last_layer_cls_only = false);

  std::vector<std::shared_ptr<BertLayer>> layers;  // registered as "layer.<i>"
};

// HF's init (normal(0, std) for Dense/Embedding, ones/zeros for LayerNorm) for every leaf
// module under `root`. Without a generator, LibTorch's default one is used.
void init_bert_weights(torch::nn::Module& root, double std, std::optional<at::Generator> gen);

}  // namespace berth::model
