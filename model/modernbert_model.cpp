#include "model/modernbert_model.h"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "model/dtype_lowest.h"
#include "model/fast_dropout.h"

namespace berth::model {

ModernBertModel::ModernBertModel(const ModernBertConfig& c) : window_(c.local_attention / 2) {
  embeddings = register_module("embeddings", std::make_shared<ModernBertEmbeddings>(c));
  auto list = register_module("layers", std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i)
    layers.push_back(
        list->register_module(std::to_string(i), std::make_shared<ModernBertEncoderLayer>(c, i)));
  final_norm = register_module(
      "final_norm", std::make_shared<ModernBertNorm>(c.hidden_size, c.norm_eps, c.norm_bias));
  // HF's _init_weights: truncated normals, "out" projections scaled down by depth.
  const double in_std = c.initializer_range, cutoff = c.initializer_cutoff_factor,
               out_std = c.initializer_range / std::sqrt(2.0 * c.num_hidden_layers);
  truncated_normal_(embeddings->tok_embeddings->weight, in_std, cutoff, std::nullopt);
  for (auto& l : layers) {
    l->attn->Wqkv->reset(in_std, cutoff, std::nullopt);
    l->attn->Wo->reset(out_std, cutoff, std::nullopt);
    l->mlp->Wi->reset(in_std, cutoff, std::nullopt);
    l->mlp->Wo->reset(out_std, cutoff, std::nullopt);
  }
}

at::Tensor ModernBertModel::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask) {
  if (input_ids.dim() != 2)
    throw usage_error("model", "input_ids must be (batch, seq), got " +
                                   std::to_string(input_ids.dim()) + " dimensions");
  at::Tensor ids = input_ids.to(at::kLong);
  const int64_t batch = ids.size(0), seq = ids.size(1);
  at::Tensor x = embeddings->forward(ids);  // (batch, seq, hidden)
  // HF's masks, always built (even without padding): 0 where a key may be attended, the
  // dtype's lowest value where not; local layers also mask keys beyond the window.
  const double low = dtype_lowest(x.scalar_type());
  at::Tensor keep = attention_mask.defined() ? attention_mask.ne(0) : at::ones_like(ids).ne(0);
  at::Tensor global_mask = at::zeros({batch, 1, seq, seq}, x.options())
                               .masked_fill(keep.view({batch, 1, 1, seq}).logical_not(), low);
  at::Tensor pos = at::arange(seq, ids.options());
  at::Tensor near = (pos.unsqueeze(0) - pos.unsqueeze(1)).abs().le(window_);  // (seq, seq)
  at::Tensor local_mask = global_mask.masked_fill(near.logical_not(), low);
  for (auto& layer : layers) x = layer->forward(x, global_mask, local_mask);
  return final_norm->forward(x);
}

ModernBertHead::ModernBertHead(const ModernBertConfig& c) : activation_(c.classifier_activation) {
  dense = register_module(
      "dense", std::make_shared<ModernBertLinear>(c.hidden_size, c.hidden_size, c.classifier_bias));
  norm = register_module("norm",
                         std::make_shared<ModernBertNorm>(c.hidden_size, c.norm_eps, c.norm_bias));
}

at::Tensor ModernBertHead::forward(const at::Tensor& x) {
  return norm->forward(activate(dense->forward(x), activation_));
}

ModernBertClassifier::ModernBertClassifier(const ModernBertConfig& c, int64_t num_labels)
    : pooling_(c.pooling),
      classifier_dropout_(c.classifier_dropout),
      classifier_std_(1.0 / std::sqrt(static_cast<double>(c.hidden_size))),
      head_std_(c.initializer_range / std::sqrt(2.0 * c.num_hidden_layers)),
      cutoff_(c.initializer_cutoff_factor) {
  if (num_labels <= 0)
    throw usage_error("model", "num_labels must be positive, got " + std::to_string(num_labels));
  model = register_module("model", std::make_shared<ModernBertModel>(c));
  head = register_module("head", std::make_shared<ModernBertHead>(c));
  classifier = register_module("classifier", std::make_shared<Dense>(c.hidden_size, num_labels));
  reset_head(std::nullopt);
  reset_classifier(std::nullopt);
}

void ModernBertClassifier::reset_head(std::optional<at::Generator> gen) {
  head->dense->reset(head_std_, cutoff_, gen);
  head->norm->reset();
}

void ModernBertClassifier::reset_classifier(std::optional<at::Generator> gen) {
  truncated_normal_(classifier->weight, classifier_std_, cutoff_, gen);
  at::NoGradGuard no_grad;
  classifier->bias.zero_();
}

ClassifierOutput ModernBertClassifier::forward(const at::Tensor& input_ids,
                                               const at::Tensor& attention_mask,
                                               const at::Tensor& /*token_type_ids*/) {
  ClassifierOutput out;
  out.last_hidden = model->forward(input_ids, attention_mask);  // (batch, seq, hidden)
  at::Tensor pooled;
  if (pooling_ == Pooling::kCls) {
    pooled = out.last_hidden.select(1, 0);  // (batch, hidden)
  } else {
    at::Tensor mask = attention_mask.defined()
                          ? attention_mask
                          : at::ones(input_ids.sizes(), input_ids.options().dtype(at::kLong));
    // As HF: the padded positions zeroed, summed, divided by the token count.
    pooled = (out.last_hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, /*keepdim=*/true);
  }
  out.pooled = head->forward(pooled);  // (batch, hidden)
  out.logits = classifier->forward(model::dropout(out.pooled, classifier_dropout_, is_training()));
  return out;
}

}  // namespace berth::model
