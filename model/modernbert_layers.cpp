#include "model/modernbert_layers.h"

#include <cmath>
#include <string>

#include "model/fast_dropout.h"

namespace berth::model {

void truncated_normal_(at::Tensor& t, double std, double cutoff, std::optional<at::Generator> gen) {
  at::NoGradGuard no_grad;
  auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double lo = norm_cdf(-cutoff), hi = norm_cdf(cutoff);
  t.uniform_(2 * lo - 1, 2 * hi - 1, gen);
  t.erfinv_();
  t.mul_(std * std::sqrt(2.0));
  t.clamp_(-cutoff * std, cutoff * std);
}

ModernBertLinear::ModernBertLinear(int64_t in, int64_t out, bool with_bias) {
  weight = register_parameter("weight", at::zeros({out, in}));
  if (with_bias) bias = register_parameter("bias", at::zeros({out}));
}

void ModernBertLinear::reset(double std, double cutoff, std::optional<at::Generator> gen) {
  truncated_normal_(weight, std, cutoff, gen);
  at::NoGradGuard no_grad;
  if (bias.defined()) bias.zero_();
}

ModernBertNorm::ModernBertNorm(int64_t dim, double eps, bool with_bias) : eps_(eps) {
  weight = register_parameter("weight", at::ones({dim}));
  if (with_bias) bias = register_parameter("bias", at::zeros({dim}));
}

void ModernBertNorm::reset() {
  at::NoGradGuard no_grad;
  weight.fill_(1.0);
  if (bias.defined()) bias.zero_();
}

std::pair<at::Tensor, at::Tensor> rotary_cos_sin(int64_t seq, int64_t head_dim, double theta,
                                                 const at::Device& device) {
  auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  // As HF's default rope init and ModernBertRotaryEmbedding, in float32: 1 / theta^(2i / d),
  // then position x frequency (one rounding, as their K=1 matmul).
  at::Tensor exponents = at::arange(0, head_dim, 2, f32.dtype(at::kLong)).to(at::kFloat) / head_dim;
  at::Tensor inv_freq = at::reciprocal(at::pow(theta, exponents));  // (head_dim / 2)
  at::Tensor freqs = at::outer(at::arange(seq, f32.dtype(at::kLong)).to(at::kFloat), inv_freq);
  at::Tensor emb = at::cat({freqs, freqs}, -1);  // (seq, head_dim)
  return {emb.cos(), emb.sin()};
}

namespace {

// x * cos + rotate_half(x) * sin, rotate_half(x) = (-x2, x1) for halves x1, x2.
at::Tensor rotate(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

}  // namespace

ModernBertEmbeddings::ModernBertEmbeddings(const ModernBertConfig& c)
    : dropout_(c.embedding_dropout) {
  tok_embeddings = register_module(
      "tok_embeddings", std::make_shared<Embedding>(c.vocab_size, c.hidden_size, c.pad_token_id));
  norm = register_module("norm",
                         std::make_shared<ModernBertNorm>(c.hidden_size, c.norm_eps, c.norm_bias));
}

at::Tensor ModernBertEmbeddings::forward(const at::Tensor& input_ids) {
  return model::dropout(norm->forward(tok_embeddings->forward(input_ids)), dropout_, is_training());
}

ModernBertAttention::ModernBertAttention(const ModernBertConfig& c, int64_t layer)
    : global(c.is_global_layer(layer)),
      heads_(c.num_attention_heads),
      head_dim_(c.head_dim()),
      theta_(global ? c.global_rope_theta : c.local_rope_theta),
      dropout_(c.attention_dropout) {
  Wqkv = register_module("Wqkv", std::make_shared<ModernBertLinear>(
                                     c.hidden_size, 3 * c.hidden_size, c.attention_bias));
  Wo = register_module(
      "Wo", std::make_shared<ModernBertLinear>(c.hidden_size, c.hidden_size, c.attention_bias));
}

at::Tensor ModernBertAttention::forward(const at::Tensor& hidden, const at::Tensor& global_mask,
                                        const at::Tensor& local_mask) {
  const int64_t batch = hidden.size(0), seq = hidden.size(1);
  // (batch, seq, 3, heads, head_dim) -> 3 x (batch, heads, seq, head_dim)
  auto qkv =
      Wqkv->forward(hidden).view({batch, seq, 3, heads_, head_dim_}).transpose(3, 1).unbind(2);
  auto [cos, sin] = rotary_cos_sin(seq, head_dim_, theta_, hidden.device());
  cos = cos.to(hidden.scalar_type()), sin = sin.to(hidden.scalar_type());
  at::Tensor q = rotate(qkv[0], cos, sin), k = rotate(qkv[1], cos, sin);
  std::optional<at::Tensor> mask = global ? global_mask : local_mask;
  at::Tensor out =
      at::scaled_dot_product_attention(q, k, qkv[2], mask, is_training() ? dropout_ : 0.0,
                                       /*is_causal=*/false);  // (batch, heads, seq, d)
  out = out.transpose(1, 2).contiguous().view({batch, seq, heads_ * head_dim_});
  return model::dropout(Wo->forward(out), dropout_, is_training());
}

ModernBertMLP::ModernBertMLP(const ModernBertConfig& c)
    : activation_(c.activation), dropout_(c.mlp_dropout) {
  Wi = register_module(
      "Wi", std::make_shared<ModernBertLinear>(c.hidden_size, 2 * c.intermediate_size, c.mlp_bias));
  Wo = register_module(
      "Wo", std::make_shared<ModernBertLinear>(c.intermediate_size, c.hidden_size, c.mlp_bias));
}

at::Tensor ModernBertMLP::forward(const at::Tensor& x) {
  auto parts = Wi->forward(x).chunk(2, -1);  // input, gate: (batch, seq, intermediate)
  at::Tensor h = activate(parts[0], activation_) * parts[1];
  return Wo->forward(model::dropout(h, dropout_, is_training()));
}

ModernBertEncoderLayer::ModernBertEncoderLayer(const ModernBertConfig& c, int64_t layer) {
  if (layer != 0)
    attn_norm = register_module(
        "attn_norm", std::make_shared<ModernBertNorm>(c.hidden_size, c.norm_eps, c.norm_bias));
  attn = register_module("attn", std::make_shared<ModernBertAttention>(c, layer));
  mlp_norm = register_module(
      "mlp_norm", std::make_shared<ModernBertNorm>(c.hidden_size, c.norm_eps, c.norm_bias));
  mlp = register_module("mlp", std::make_shared<ModernBertMLP>(c));
}

at::Tensor ModernBertEncoderLayer::forward(const at::Tensor& hidden, const at::Tensor& global_mask,
                                           const at::Tensor& local_mask) {
  at::Tensor x = hidden + attn->forward(attn_norm ? attn_norm->forward(hidden) : hidden,
                                        global_mask, local_mask);
  return x + mlp->forward(mlp_norm->forward(x));
}

}  // namespace berth::model
