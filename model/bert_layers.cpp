#include "model/bert_layers.h"

#include <cmath>
#include <string>

#include "model/fast_dropout.h"
#include "model/int8_linear.h"
#include "model/random_init.h"

namespace berth::model {

Dense::Dense(int64_t in_features, int64_t out_features) {
  // Zeros until init_bert_weights or a checkpoint fills them: one RNG pass per model, not two.
  weight = register_parameter("weight", at::zeros({out_features, in_features}));
  bias = register_parameter("bias", at::zeros({out_features}));
}

at::Tensor Dense::forward(const at::Tensor& x) {
  return packed ? packed->forward(x) : at::linear(x, weight, bias);
}

void Dense::reset(double std, std::optional<at::Generator> gen) {
  at::NoGradGuard no_grad;
  weight.normal_(0.0, std, gen);
  bias.zero_();
}

LayerNorm::LayerNorm(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", at::empty({dim}));
  bias = register_parameter("bias", at::empty({dim}));
  reset();
}

void LayerNorm::reset() {
  at::NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

Embedding::Embedding(int64_t num, int64_t dim, std::optional<int64_t> padding_idx)
    : padding_idx_(padding_idx) {
  weight = register_parameter("weight", at::zeros({num, dim}));
}

void Embedding::reset(double std, std::optional<at::Generator> gen) {
  at::NoGradGuard no_grad;
  weight.normal_(0.0, std, gen);
  if (padding_idx_) weight[*padding_idx_].zero_();
}

BertEmbeddings::BertEmbeddings(const BertConfig& c)
    : dropout(c.hidden_dropout_prob),
      positions_after_padding_(c.positions_after_padding()),
      pad_token_id_(c.pad_token_id) {
  const int64_t width = c.embedding_size;
  word_embeddings = register_module(
      "word_embeddings", std::make_shared<Embedding>(c.vocab_size, width, c.pad_token_id));
  // RoBERTa's position table has a padding row too (nn.Embedding(padding_idx=pad_token_id)).
  position_embeddings = register_module(
      "position_embeddings",
      std::make_shared<Embedding>(
          c.max_position_embeddings, width,
          positions_after_padding_ ? std::optional<int64_t>(c.pad_token_id) : std::nullopt));
  if (c.type_vocab_size > 0)
    token_type_embeddings = register_module("token_type_embeddings",
                                            std::make_shared<Embedding>(c.type_vocab_size, width));
  LayerNorm_ = register_module("LayerNorm", std::make_shared<LayerNorm>(width, c.layer_norm_eps));
}

at::Tensor positions_after_padding(const at::Tensor& input_ids, int64_t padding_idx) {
  at::Tensor real = input_ids.ne(padding_idx).to(at::kInt);  // (batch, seq)
  return (at::cumsum(real, 1).to(at::kInt) * real).to(at::kLong) + padding_idx;
}

at::Tensor BertEmbeddings::forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids) {
  const int64_t seq = input_ids.size(1);
  // (1, seq): broadcast over the batch, as HF's position_ids buffer slice; (batch, seq) when
  // they follow the padding.
  at::Tensor positions = positions_after_padding_
                             ? positions_after_padding(input_ids, pad_token_id_)
                             : at::arange(seq, input_ids.options().dtype(at::kLong)).unsqueeze(0);
  // Same summation order as HF: (word + token type) + position.
  at::Tensor x = token_type_embeddings
                     ? word_embeddings->forward(input_ids) +
                           token_type_embeddings->forward(token_type_ids)  // (batch, seq, emb)
                     : word_embeddings->forward(input_ids);
  x = x + position_embeddings->forward(positions);
  x = LayerNorm_->forward(x);
  return model::dropout(x, dropout, is_training());
}

namespace {

// `first` and `second` stacked along dim 0 as a view, where the second's data follows the
// first's in one storage (same dtype, contiguous); undefined otherwise.
at::Tensor adjacent_rows(const at::Tensor& first, const at::Tensor& second) {
  if (!first.is_contiguous() || !second.is_contiguous() || first.dim() != second.dim() ||
      first.scalar_type() != second.scalar_type() ||
      !first.storage().is_alias_of(second.storage()) ||
      second.storage_offset() != first.storage_offset() + first.numel())
    return {};
  for (int64_t d = 1; d < first.dim(); ++d)
    if (first.size(d) != second.size(d)) return {};
  std::vector<int64_t> sizes = first.sizes().vec();
  sizes[0] += second.size(0);
  return first.as_strided(sizes, first.strides());
}

}  // namespace

BertSelfAttention::BertSelfAttention(const BertConfig& c, const std::array<const char*, 3>& names)
    : heads(c.num_attention_heads),
      head_dim(c.head_dim()),
      dropout(c.attention_probs_dropout_prob) {
  query = register_module(names[0], std::make_shared<Dense>(c.hidden_size, c.hidden_size));
  key = register_module(names[1], std::make_shared<Dense>(c.hidden_size, c.hidden_size));
  value = register_module(names[2], std::make_shared<Dense>(c.hidden_size, c.hidden_size));
}

at::Tensor BertSelfAttention::forward(const at::Tensor& hidden, const at::Tensor& mask,
                                      const at::Tensor& queries_from) {
  const int64_t batch = hidden.size(0), seq = hidden.size(1), width = heads * head_dim;
  const bool cls_only = queries_from.defined();
  const int64_t queries = cls_only ? queries_from.size(1) : seq;
  auto split_heads = [&](const at::Tensor& t, int64_t len) {
    return t.view({batch, len, heads, head_dim}).transpose(1, 2);  // (batch, heads, len, head_dim)
  };
  at::Tensor q, k, v;
  if (packed_qkv && (!cls_only || cls_from_packed_qkv)) {
    auto parts = packed_qkv->forward(hidden).split(width, -1);  // 3 x (batch, seq, hidden)
    q = split_heads(cls_only ? parts[0].narrow(1, 0, 1) : parts[0], queries);
    k = split_heads(parts[1], seq), v = split_heads(parts[2], seq);
  } else if (fused_qkv && !query->packed && !key->packed && !value->packed) {
    // One GEMM over the concatenated weights; split's backward is one concatenation of the
    // gradients (select's would zero-fill the whole product's gradient once per view, then add).
    if (cls_only) {
      // The predictor keeps k and v as adjacent rows of one block (concatenate_qkv_once): a
      // view of both then replaces the per-forward concatenation. Training's separate
      // parameters are concatenated as before.
      at::Tensor w = adjacent_rows(key->weight, value->weight);  // (2 x hidden, hidden)
      at::Tensor b = adjacent_rows(key->bias, value->bias);
      if (!w.defined()) w = at::cat({key->weight, value->weight});
      if (!b.defined()) b = at::cat({key->bias, value->bias});
      auto kv = at::linear(hidden, w, b).split(width, -1);  // 2 x (batch, seq, hidden)
      k = split_heads(kv[0], seq), v = split_heads(kv[1], seq);
      q = split_heads(at::linear(queries_from, query->weight, query->bias), queries);
    } else {
      at::Tensor w = at::cat({query->weight, key->weight, value->weight});  // (3 x hidden, hidden)
      at::Tensor b = at::cat({query->bias, key->bias, value->bias});        // (3 x hidden)
      auto parts = at::linear(hidden, w, b).split(width, -1);  // 3 x (batch, seq, hidden)
      q = split_heads(parts[0], seq), k = split_heads(parts[1], seq),
      v = split_heads(parts[2], seq);
    }
  } else {
    q = split_heads(query->forward(cls_only ? queries_from : hidden), queries);
    k = split_heads(key->forward(hidden), seq);
    v = split_heads(value->forward(hidden), seq);
  }
  if (composed_attention && is_training() && dropout > 0 && hidden.is_cpu()) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    // (batch, heads, queries, seq); the mask (batch, 1, 1, seq) broadcasts over heads and queries.
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul_(scale);
    if (mask.defined()) scores.add_(mask);
    at::Tensor probs = model::dropout(at::softmax(scores, -1), dropout, /*train=*/true);
    at::Tensor out = at::matmul(probs, v);  // (batch, heads, queries, head_dim)
    return out.transpose(1, 2).reshape({batch, queries, width});  // (batch, queries, hidden)
  }
  std::optional<at::Tensor> attn_mask;
  if (mask.defined()) attn_mask = mask;
  // Attention-probability dropout happens inside the kernel, as in HF's sdpa path.
  at::Tensor out =
      at::scaled_dot_product_attention(q, k, v, attn_mask, is_training() ? dropout : 0.0,
                                       /*is_causal=*/false);    // (batch, heads, queries, head_dim)
  return out.transpose(1, 2).reshape({batch, queries, width});  // (batch, queries, hidden)
}

BertResidualOutput::BertResidualOutput(int64_t in, int64_t hidden, double eps, double dropout)
    : dropout(dropout) {
  dense = register_module("dense", std::make_shared<Dense>(in, hidden));
  LayerNorm_ = register_module("LayerNorm", std::make_shared<LayerNorm>(hidden, eps));
}

at::Tensor BertResidualOutput::forward(const at::Tensor& x, const at::Tensor& residual) {
  // Inference with packed weights: the residual is added in the GEMM's epilogue (no dropout
  // between the two), one pass over (batch, seq, hidden) less.
  if (dense->packed && (!is_training() || dropout == 0))
    return LayerNorm_->forward(dense->packed->forward_add(x, residual));
  at::Tensor h = model::dropout(dense->forward(x), dropout, is_training());  // (batch, seq, hidden)
  return LayerNorm_->forward(h + residual);
}

BertAttention::BertAttention(const BertConfig& c) {
  self = register_module("self", std::make_shared<BertSelfAttention>(c));
  output = register_module(
      "output", std::make_shared<BertResidualOutput>(c.hidden_size, c.hidden_size, c.layer_norm_eps,
                                                     c.hidden_dropout_prob));
}

at::Tensor BertAttention::forward(const at::Tensor& hidden, const at::Tensor& mask, bool cls_only) {
  // One narrow feeds both the queries and the residual: one zero-filled (batch, seq, hidden)
  // gradient in backward instead of two.
  const at::Tensor first = cls_only ? hidden.narrow(1, 0, 1) : at::Tensor();  // (batch, 1, hidden)
  return output->forward(self->forward(hidden, mask, first), cls_only ? first : hidden);
}

BertIntermediate::BertIntermediate(const BertConfig& c) : activation(c.activation) {
  dense = register_module("dense", std::make_shared<Dense>(c.hidden_size, c.intermediate_size));
}

at::Tensor activate(const at::Tensor& h, Activation a) {
  switch (a) {
    case Activation::kGelu:
      return at::gelu(h);
    case Activation::kGeluTanh:
      return at::gelu(h, "tanh");
    case Activation::kRelu:
      return at::relu(h);
    case Activation::kSilu:
      return at::silu(h);
  }
  return h;
}

at::Tensor BertIntermediate::forward(const at::Tensor& x) {
  at::Tensor h = dense->forward(x);  // (batch, seq, intermediate)
  return activation_in_dense ? h : activate(h, activation);
}

BertLayer::BertLayer(const BertConfig& c) {
  attention = register_module("attention", std::make_shared<BertAttention>(c));
  intermediate = register_module("intermediate", std::make_shared<BertIntermediate>(c));
  output = register_module(
      "output", std::make_shared<BertResidualOutput>(c.intermediate_size, c.hidden_size,
                                                     c.layer_norm_eps, c.hidden_dropout_prob));
}

at::Tensor BertLayer::forward(const at::Tensor& hidden, const at::Tensor& mask, bool cls_only) {
  at::Tensor a = attention->forward(hidden, mask, cls_only);
  return output->forward(intermediate->forward(a), a);
}

BertEncoder::BertEncoder(const BertConfig& c) {
  // A plain Module as the container gives the names "layer.<i>.…" that HF's nn.ModuleList does.
  auto list = register_module("layer", std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i)
    layers.push_back(list->register_module(std::to_string(i), std::make_shared<BertLayer>(c)));
}

at::Tensor BertEncoder::forward(at::Tensor hidden, const at::Tensor& mask,
                                bool last_layer_cls_only) {
  for (size_t i = 0; i < layers.size(); ++i)
    hidden = layers[i]->forward(hidden, mask, last_layer_cls_only && i + 1 == layers.size());
  return hidden;
}

int fuse_int8_qkv(torch::nn::Module& root, Int8Kernels kernels) {
  int fused = 0;
  for (auto& m : root.modules(/*include_self=*/false)) {
    auto* a = dynamic_cast<BertSelfAttention*>(m.get());
    if (a == nullptr || !a->query->packed || !a->key->packed || !a->value->packed) continue;
    a->packed_qkv =
        pack_int8_linear(at::cat({a->query->weight, a->key->weight, a->value->weight}),
                         at::cat({a->query->bias, a->key->bias, a->value->bias}), kernels);
    ++fused;
  }
  return fused;
}

void init_bert_weights(torch::nn::Module& root, double std, std::optional<at::Generator> gen) {
  if (!random_init_enabled()) return;
  // modules() lists parents before children in registration order, so with a seeded generator
  // the draws are reproducible. The root is visited by hand: include_self needs a shared_ptr,
  // which a module under construction does not have yet.
  auto visit = [&](torch::nn::Module* m) {
    if (auto* d = dynamic_cast<Dense*>(m)) d->reset(std, gen);
    if (auto* e = dynamic_cast<Embedding*>(m)) e->reset(std, gen);
    if (auto* n = dynamic_cast<LayerNorm*>(m)) n->reset();
  };
  visit(&root);
  for (auto& m : root.modules(/*include_self=*/false)) visit(m.get());
}

}  // namespace berth::model
