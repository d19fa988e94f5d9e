#include "model/deberta_v2_layers.h"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <cmath>
#include <limits>
#include <string>

#include "model/dtype_lowest.h"
#include "model/fast_dropout.h"

namespace berth::model {

at::Tensor deberta_relative_positions(int64_t seq, int64_t bucket_size, int64_t max_position,
                                      const at::Device& device) {
  auto ids = at::arange(seq, at::TensorOptions().dtype(at::kLong).device(device));
  at::Tensor rel = ids.unsqueeze(1) - ids.unsqueeze(0);  // (seq, seq)
  if (bucket_size <= 0 || max_position <= 0) return rel;
  // The same float32 operations as make_log_bucket_position, so that distances on a bucket
  // boundary round the same way.
  const int64_t mid = bucket_size / 2;
  at::Tensor sign = at::sign(rel);
  at::Tensor abs_pos = at::where(rel.lt(mid).logical_and(rel.gt(-mid)),
                                 at::scalar_tensor(mid - 1, rel.options()), at::abs(rel));
  at::Tensor log_base =
      at::scalar_tensor(static_cast<double>(max_position - 1) / static_cast<double>(mid),
                        rel.options().dtype(at::kFloat));
  at::Tensor log_pos =
      at::ceil(at::log(abs_pos / mid) / at::log(log_base) * (mid - 1)) + mid;  // (seq, seq) float
  return at::where(abs_pos.le(mid), rel.to(log_pos.scalar_type()), log_pos * sign).to(at::kLong);
}

DebertaV2Embeddings::DebertaV2Embeddings(const DebertaV2Config& c)
    : dropout(c.hidden_dropout_prob) {
  word_embeddings = register_module(
      "word_embeddings", std::make_shared<Embedding>(c.vocab_size, c.hidden_size, c.pad_token_id));
  if (c.position_biased_input)
    position_embeddings =
        register_module("position_embeddings",
                        std::make_shared<Embedding>(c.max_position_embeddings, c.hidden_size));
  if (c.type_vocab_size > 0)
    token_type_embeddings = register_module(
        "token_type_embeddings", std::make_shared<Embedding>(c.type_vocab_size, c.hidden_size));
  LayerNorm_ =
      register_module("LayerNorm", std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

at::Tensor DebertaV2Embeddings::forward(const at::Tensor& input_ids,
                                        const at::Tensor& token_type_ids,
                                        const at::Tensor& attention_mask) {
  at::Tensor x = word_embeddings->forward(input_ids);  // (batch, seq, hidden)
  if (position_embeddings) {
    at::Tensor positions =
        at::arange(input_ids.size(1), input_ids.options().dtype(at::kLong)).unsqueeze(0);
    x = x + position_embeddings->forward(positions);
  }
  if (token_type_embeddings) x = x + token_type_embeddings->forward(token_type_ids);
  x = LayerNorm_->forward(x);
  x = x * attention_mask.unsqueeze(2).to(x.scalar_type());  // padding rows to zero
  return model::dropout(x, dropout, is_training());
}

DisentangledSelfAttention::DisentangledSelfAttention(const DebertaV2Config& c)
    : heads_(c.num_attention_heads),
      head_dim_(c.head_dim()),
      span_(c.attention_span()),
      scale_factor_(c.scale_factor()),
      relative_attention_(c.relative_attention),
      share_att_key_(c.share_att_key),
      c2p_(c.c2p),
      p2c_(c.p2c),
      attention_dropout_(c.attention_probs_dropout_prob),
      position_dropout_(c.hidden_dropout_prob) {
  const int64_t h = c.hidden_size;
  query_proj = register_module("query_proj", std::make_shared<Dense>(h, h));
  key_proj = register_module("key_proj", std::make_shared<Dense>(h, h));
  value_proj = register_module("value_proj", std::make_shared<Dense>(h, h));
  if (relative_attention_ && !share_att_key_) {
    if (c2p_) pos_key_proj = register_module("pos_key_proj", std::make_shared<Dense>(h, h));
    if (p2c_) pos_query_proj = register_module("pos_query_proj", std::make_shared<Dense>(h, h));
  }
}

at::Tensor DisentangledSelfAttention::split_heads(const at::Tensor& x) const {
  return x.view({x.size(0), x.size(1), heads_, head_dim_}).permute({0, 2, 1, 3});
}

at::Tensor DisentangledSelfAttention::position_scores(const at::Tensor& q, const at::Tensor& k,
                                                      const at::Tensor& relative_pos,
                                                      const at::Tensor& rel_embeddings,
                                                      const at::Tensor& scale) {
  const int64_t batch = q.size(0), seq = q.size(2);
  // (1, 2 x span, hidden) -> (1, heads, 2 x span, head_dim): one projection of the position
  // table shared by the whole batch (HF repeats it per example; the products are the same).
  at::Tensor rel = rel_embeddings.narrow(0, 0, 2 * span_).unsqueeze(0);
  const std::vector<int64_t> index_shape = {batch, heads_, seq, seq};
  at::Tensor score;
  if (c2p_) {
    at::Tensor pos_key =
        split_heads(share_att_key_ ? key_proj->forward(rel) : pos_key_proj->forward(rel));
    at::Tensor c2p = at::matmul(q, pos_key.transpose(-1, -2));  // (batch, heads, seq, 2 x span)
    at::Tensor index = at::clamp(relative_pos + span_, 0, 2 * span_ - 1).expand(index_shape);
    score = at::gather(c2p, -1, index) / scale;  // (batch, heads, seq, seq)
  }
  if (p2c_) {
    at::Tensor pos_query =
        split_heads(share_att_key_ ? query_proj->forward(rel) : pos_query_proj->forward(rel));
    // Row i: key i against every relative position; gathered at -(query - key), then
    // transposed to (query, key).
    at::Tensor p2c = at::matmul(k, pos_query.transpose(-1, -2));  // (batch, heads, seq, 2 x span)
    at::Tensor index = at::clamp(-relative_pos + span_, 0, 2 * span_ - 1).expand(index_shape);
    at::Tensor term = at::gather(p2c, -1, index).transpose(-1, -2) / scale;
    score = score.defined() ? score + term : term;
  }
  return score;
}

at::Tensor DisentangledSelfAttention::forward(const at::Tensor& hidden, const at::Tensor& mask,
                                              const at::Tensor& relative_pos,
                                              const at::Tensor& rel_embeddings) {
  const int64_t batch = hidden.size(0), seq = hidden.size(1);
  at::Tensor q = split_heads(query_proj->forward(hidden));  // (batch, heads, seq, head_dim)
  at::Tensor k = split_heads(key_proj->forward(hidden));
  at::Tensor v = split_heads(value_proj->forward(hidden));
  // As HF: sqrt(head_dim * scale_factor) as a float32 tensor, the keys divided before the
  // product.
  at::Tensor scale = at::sqrt(at::scalar_tensor(static_cast<double>(head_dim_),
                                                hidden.options().dtype(at::kFloat)) *
                              scale_factor_)
                         .to(q.scalar_type());
  at::Tensor scores = at::matmul(q, k.transpose(-1, -2) / scale);  // (batch, heads, seq, seq)
  if (relative_attention_) {
    at::Tensor rel = model::dropout(rel_embeddings, position_dropout_, is_training());
    at::Tensor bias = position_scores(q, k, relative_pos, rel, scale);
    if (bias.defined()) scores = scores + bias;
  }
  // Rows of padding queries are masked whole and come out uniform, as in HF.
  scores = scores.masked_fill(mask.logical_not(), dtype_lowest(scores.scalar_type()));
  at::Tensor probs = model::dropout(at::softmax(scores, -1), attention_dropout_, is_training());
  at::Tensor out = at::matmul(probs, v);  // (batch, heads, seq, head_dim)
  return out.permute({0, 2, 1, 3}).reshape({batch, seq, heads_ * head_dim_});
}

DebertaV2Attention::DebertaV2Attention(const DebertaV2Config& c) {
  self = register_module("self", std::make_shared<DisentangledSelfAttention>(c));
  output = register_module(
      "output", std::make_shared<BertResidualOutput>(c.hidden_size, c.hidden_size, c.layer_norm_eps,
                                                     c.hidden_dropout_prob));
}

at::Tensor DebertaV2Attention::forward(const at::Tensor& hidden, const at::Tensor& mask,
                                       const at::Tensor& relative_pos,
                                       const at::Tensor& rel_embeddings) {
  return output->forward(self->forward(hidden, mask, relative_pos, rel_embeddings), hidden);
}

DebertaV2Intermediate::DebertaV2Intermediate(const DebertaV2Config& c) : activation_(c.activation) {
  dense = register_module("dense", std::make_shared<Dense>(c.hidden_size, c.intermediate_size));
}

at::Tensor DebertaV2Intermediate::forward(const at::Tensor& x) {
  return activate(dense->forward(x), activation_);
}

DebertaV2Layer::DebertaV2Layer(const DebertaV2Config& c) {
  attention = register_module("attention", std::make_shared<DebertaV2Attention>(c));
  intermediate = register_module("intermediate", std::make_shared<DebertaV2Intermediate>(c));
  output = register_module(
      "output", std::make_shared<BertResidualOutput>(c.intermediate_size, c.hidden_size,
                                                     c.layer_norm_eps, c.hidden_dropout_prob));
}

at::Tensor DebertaV2Layer::forward(const at::Tensor& hidden, const at::Tensor& mask,
                                   const at::Tensor& relative_pos,
                                   const at::Tensor& rel_embeddings) {
  at::Tensor a = attention->forward(hidden, mask, relative_pos, rel_embeddings);
  return output->forward(intermediate->forward(a), a);
}

DebertaV2Encoder::DebertaV2Encoder(const DebertaV2Config& c)
    : position_buckets_(c.position_buckets),
      max_relative_positions_(c.max_relative_positions < 1 ? c.max_position_embeddings
                                                           : c.max_relative_positions) {
  auto list = register_module("layer", std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i)
    layers.push_back(list->register_module(std::to_string(i), std::make_shared<DebertaV2Layer>(c)));
  if (c.relative_attention)
    rel_embeddings = register_module(
        "rel_embeddings", std::make_shared<Embedding>(2 * c.attention_span(), c.hidden_size));
  if (c.norm_rel_ebd)
    LayerNorm_ =
        register_module("LayerNorm", std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

at::Tensor DebertaV2Encoder::forward(at::Tensor hidden, const at::Tensor& attention_mask) {
  const int64_t batch = attention_mask.size(0), seq = attention_mask.size(1);
  // (batch, 1, seq, seq): a score counts where both its query and its key are tokens.
  at::Tensor keep = attention_mask.ne(0);
  at::Tensor mask = keep.view({batch, 1, 1, seq}).logical_and(keep.view({batch, 1, seq, 1}));
  at::Tensor relative_pos, rel;
  if (rel_embeddings) {
    relative_pos = deberta_relative_positions(seq, position_buckets_, max_relative_positions_,
                                              hidden.device());
    rel = rel_embeddings->weight;  // (2 x span, hidden)
    if (LayerNorm_) rel = LayerNorm_->forward(rel);
  }
  for (auto& layer : layers) hidden = layer->forward(hidden, mask, relative_pos, rel);
  return hidden;
}

}  // namespace berth::model
