#include "model/modernbert_config.h"

#include "model/config_fields.h"

namespace berth::model {

using nlohmann::json;

ModernBertConfig ModernBertConfig::from_json(const json& j, const std::string& source) {
  ConfigFields f(j, source);
  ModernBertConfig c;
  f.expect_model_type(ModelFamily::kModernBert);

  c.vocab_size = f.positive("vocab_size", c.vocab_size);
  c.hidden_size = f.positive("hidden_size", c.hidden_size);
  c.intermediate_size = f.positive("intermediate_size", c.intermediate_size);
  c.num_hidden_layers = f.positive("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = f.positive("num_attention_heads", c.num_attention_heads);
  if (c.hidden_size % c.num_attention_heads != 0)
    f.fail("hidden_size", std::to_string(c.hidden_size) + " is not divisible by " +
                              "num_attention_heads " + std::to_string(c.num_attention_heads));
  if (c.head_dim() % 2 != 0)
    f.fail("hidden_size",
           "rotary positions need an even head size, found " + std::to_string(c.head_dim()));
  c.activation = f.activation("hidden_activation", "gelu");
  c.classifier_activation = f.activation("classifier_activation", "gelu");
  c.max_position_embeddings = f.positive("max_position_embeddings", c.max_position_embeddings);
  c.initializer_range = f.number("initializer_range", c.initializer_range);
  c.initializer_cutoff_factor = f.number("initializer_cutoff_factor", c.initializer_cutoff_factor);
  c.norm_eps = f.number("norm_eps", c.norm_eps);
  if (!(c.norm_eps > 0)) f.fail("norm_eps", "must be positive");
  c.norm_bias = f.boolean("norm_bias", c.norm_bias);
  c.pad_token_id = f.integer("pad_token_id", c.pad_token_id);
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size)
    f.fail("pad_token_id", std::to_string(c.pad_token_id) + " is outside the vocabulary");
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
  c.vocab_size = vocab_size;
  c.hidden_size = hidden_size;
  c.num_hidden_layers = num_hidden_layers;
  c.num_attention_heads = num_attention_heads;
  c.intermediate_size = intermediate_size;
  c.hidden_act = c.original.value("hidden_activation", "gelu");
  c.activation = activation;
  c.max_position_embeddings = max_position_embeddings;
  c.type_vocab_size = 0;  // no token types
  c.layer_norm_eps = norm_eps;
  c.hidden_dropout_prob = mlp_dropout;
  c.attention_probs_dropout_prob = attention_dropout;
  c.classifier_dropout = classifier_dropout;
  c.pad_token_id = pad_token_id;
  c.initializer_range = initializer_range;
  c.embedding_size = hidden_size;
}

}  // namespace berth::model
