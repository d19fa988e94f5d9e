#include "model/modernbert_config.h"

#include "model/config_fields.h"

namespace berth::model {

using nlohmann::json;

ModernBertConfig ModernBertConfig::from_json(const json& j, const std::string& source) {
  ConfigFields f(j, source);
  ModernBertConfig c;
  f.expect_model_type(ModelFamily::kModernBert);

  read_encoder_sizes(f, c);
  if (c.head_dim() % 2 != 0)
    f.fail("hidden_size",
           "rotary positions need an even head size, found " + std::to_string(c.head_dim()));
  c.activation = f.activation("hidden_activation", "gelu");
  c.classifier_activation = f.activation("classifier_activation", "gelu");
  c.initializer_range = f.number("initializer_range", c.initializer_range);
  c.initializer_cutoff_factor = f.number("initializer_cutoff_factor", c.initializer_cutoff_factor);
  c.norm_eps = f.number("norm_eps", c.norm_eps);
  if (!(c.norm_eps > 0)) f.fail("norm_eps", "must be positive");
  c.norm_bias = f.boolean("norm_bias", c.norm_bias);
  c.global_rope_theta = f.number("global_rope_theta", c.global_rope_theta);
  // Absent: ModernBertConfig's default; null: the global layers' theta (as HF's attention does).
  c.local_rope_theta = j.contains("local_rope_theta")
                           ? f.number("local_rope_theta", c.global_rope_theta)
                           : c.local_rope_theta;
  if (!(c.global_rope_theta > 0)) f.fail("global_rope_theta", "must be positive");
  if (!(c.local_rope_theta > 0)) f.fail("local_rope_theta", "must be positive");
  c.attention_bias = f.boolean("attention_bias", c.attention_bias);
  c.attention_dropout = f.probability("attention_dropout", c.attention_dropout);
  c.global_attn_every_n_layers =
      f.positive("global_attn_every_n_layers", c.global_attn_every_n_layers);
  c.local_attention = f.positive("local_attention", c.local_attention);
  c.embedding_dropout = f.probability("embedding_dropout", c.embedding_dropout);
  c.mlp_bias = f.boolean("mlp_bias", c.mlp_bias);
  c.mlp_dropout = f.probability("mlp_dropout", c.mlp_dropout);
  c.classifier_dropout = f.probability("classifier_dropout", c.classifier_dropout);
  c.classifier_bias = f.boolean("classifier_bias", c.classifier_bias);
  const std::string pooling = f.string("classifier_pooling", "cls");
  if (pooling == "cls")
    c.pooling = Pooling::kCls;
  else if (pooling == "mean")
    c.pooling = Pooling::kMean;
  else
    f.fail("classifier_pooling", "\"" + pooling + "\" is not supported", "\"cls\" or \"mean\"");

  // Rotary variants transformers' ModernBERT can take and Berth does not compute.
  if (f.has("rope_scaling"))
    f.fail("rope_scaling", "scaled rotary positions are not supported",
           "remove rope_scaling (null) to use ModernBERT's default rotary positions");
  if (f.has("head_dim") && f.integer("head_dim", 0) != c.head_dim())
    f.fail("head_dim", "must equal hidden_size / num_attention_heads");
  if (f.has("partial_rotary_factor") && f.number("partial_rotary_factor", 1.0) != 1.0)
    f.fail("partial_rotary_factor", "partial rotary embeddings are not supported");
  return c;
}

void ModernBertConfig::fill(ModelConfig& c) const {
  copy_encoder_sizes(*this, c);
  c.hidden_act = c.original.value("hidden_activation", "gelu");
  c.type_vocab_size = 0;  // no token types
  c.layer_norm_eps = norm_eps;
  c.hidden_dropout_prob = mlp_dropout;
  c.attention_probs_dropout_prob = attention_dropout;
}

}  // namespace berth::model
