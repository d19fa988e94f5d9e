// ModernBERT's encoder as torch::nn modules, computing what transformers' modeling_modernbert.py
// computes on its padded ("sdpa"/"eager") path, with its submodule and parameter names (so that
// named_parameters() are the keys of a ModernBertModel state_dict). Linear maps and LayerNorms
// carry a bias only where the config asks for one (attention_bias, mlp_bias, norm_bias): a
// bias-free layer has no "bias" parameter at all, as in HF.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>
#include <optional>
#include <vector>

#include "model/bert_layers.h"
#include "model/int8_linear.h"
#include "model/modernbert_config.h"

namespace berth::model {

// y = x W^T (+ b).
class ModernBertLinear : public torch::nn::Module {
 public:
  ModernBertLinear(int64_t in, int64_t out, bool bias);
  at::Tensor forward(const at::Tensor& x) {
    return packed ? packed->forward(x) : at::linear(x, weight, bias);
  }
  // HF's init_weight: N(0, std) truncated to +-cutoff x std, zero bias.
  void reset(double std, double cutoff, std::optional<at::Generator> gen);
  at::Tensor weight;  // (out, in)
  at::Tensor bias;    // (out), undefined without a bias
  // Set by quantize_linears_int8 (inference only), as Dense::packed.
  std::shared_ptr<const PackedLinear> packed;
};

class ModernBertNorm : public torch::nn::Module {
 public:
  ModernBertNorm(int64_t dim, double eps, bool bias);
  at::Tensor forward(const at::Tensor& x) {
    return at::layer_norm(x, {weight.size(0)}, weight, bias, eps_);
  }
  void reset();  // ones / zeros
  at::Tensor weight;
  at::Tensor bias;  // undefined without norm_bias

 private:
  double eps_;
};

// tok_embeddings, norm, dropout: no positions (the attention rotates them in).
class ModernBertEmbeddings : public torch::nn::Module {
 public:
  explicit ModernBertEmbeddings(const ModernBertConfig& c);
  at::Tensor forward(const at::Tensor& input_ids);  // (batch, seq) -> (batch, seq, hidden)

  std::shared_ptr<Embedding> tok_embeddings;
  std::shared_ptr<ModernBertNorm> norm;

 private:
  double dropout_;
};

// Self-attention with rotary positions: one fused Wqkv projection, queries and keys rotated by
// position x theta^(-2i / head_dim), scaled_dot_product_attention under the additive mask, Wo.
// A global layer (layer % global_attn_every_n_layers == 0) sees every token with
// global_rope_theta; a local one only tokens within local_attention / 2 positions, with
// local_rope_theta.
class ModernBertAttention : public torch::nn::Module {
 public:
  ModernBertAttention(const ModernBertConfig& c, int64_t layer);
  // hidden: (batch, seq, hidden); global_mask, local_mask: additive (batch, 1, seq, seq).
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& global_mask,
                     const at::Tensor& local_mask);

  std::shared_ptr<ModernBertLinear> Wqkv, Wo;
  bool global;

 private:
  int64_t heads_, head_dim_;
  double theta_, dropout_;
};

// GeGLU: Wi projects to 2 x intermediate (input, gate); act(input) * gate, dropout, Wo.
class ModernBertMLP : public torch::nn::Module {
 public:
  explicit ModernBertMLP(const ModernBertConfig& c);
  at::Tensor forward(const at::Tensor& x);

  std::shared_ptr<ModernBertLinear> Wi, Wo;

 private:
  Activation activation_;
  double dropout_;
};

// Pre-norm residual layer: x + attn(attn_norm(x)), then + mlp(mlp_norm(x)). Layer 0 has no
// attn_norm (the embeddings' norm precedes it), as in HF.
class ModernBertEncoderLayer : public torch::nn::Module {
 public:
  ModernBertEncoderLayer(const ModernBertConfig& c, int64_t layer);
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& global_mask,
                     const at::Tensor& local_mask);

  std::shared_ptr<ModernBertNorm> attn_norm;  // null in layer 0
  std::shared_ptr<ModernBertAttention> attn;
  std::shared_ptr<ModernBertNorm> mlp_norm;
  std::shared_ptr<ModernBertMLP> mlp;
};

// HF's rotary tables for positions 0..seq-1: cos and sin, (seq, head_dim) float32, each
// frequency theta^(-2i / head_dim) repeated over both halves.
std::pair<at::Tensor, at::Tensor> rotary_cos_sin(int64_t seq, int64_t head_dim, double theta,
                                                 const at::Device& device);

// HF's trunc_normal_: N(mean 0, std) truncated to [-cutoff x std, cutoff x std], by inverting
// the normal CDF of uniform draws.
void truncated_normal_(at::Tensor& t, double std, double cutoff, std::optional<at::Generator> gen);

}  // namespace berth::model
