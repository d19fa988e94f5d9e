#include "model/model_config.h"

#include "common/error.h"
#include "model/config_fields.h"
#include "model/deberta_v2_config.h"
#include "model/modernbert_config.h"

namespace berth::model {

using nlohmann::json;

std::vector<std::string> default_label_names(int64_t num_labels) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < num_labels; ++i) names.push_back("LABEL_" + std::to_string(i));
  return names;
}

ModelConfig ModelConfig::from_file(const std::string& path) {
  return from_json(read_config_json(path), path);
}

namespace {

// BERT's key names, shared by RoBERTa, XLM-R and ELECTRA.
void read_bert_keys(const json& j, const ConfigFields& f, ModelConfig& c) {
  std::string pos = f.string("position_embedding_type", "absolute");
  if (pos != "absolute")
    f.fail("position_embedding_type", "\"" + pos + "\" is not supported",
           std::string("only absolute position embeddings are implemented; ") + kSupportedModels);
  if (auto it = j.find("is_decoder"); it != j.end() && it->is_boolean() && it->get<bool>())
    f.fail("is_decoder", "decoder (causal) models are not supported",
           "Berth fine-tunes bidirectional encoders for classification");
  if (auto it = j.find("add_cross_attention"); it != j.end() && it->is_boolean() && it->get<bool>())
    f.fail("add_cross_attention", "cross-attention is not supported");
  read_encoder_sizes(f, c);
  c.type_vocab_size = f.positive("type_vocab_size", c.type_vocab_size);
  c.hidden_act = f.string("hidden_act", c.hidden_act);
  c.activation = f.activation("hidden_act", c.hidden_act);
  c.layer_norm_eps = f.number("layer_norm_eps", c.layer_norm_eps);
  c.hidden_dropout_prob = f.probability("hidden_dropout_prob", c.hidden_dropout_prob);
  c.attention_probs_dropout_prob =
      f.probability("attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  if (f.has("classifier_dropout")) c.classifier_dropout = f.probability("classifier_dropout", 0.0);
  // ElectraConfig's default; the other families embed at the hidden width.
  c.embedding_size =
      c.family == ModelFamily::kElectra ? f.positive("embedding_size", 128) : c.hidden_size;
}

// DistilBertConfig's names (dim, n_layers, ...) into BERT's fields; its LayerNorms use a fixed
// eps and it has no token types.
void read_distilbert_keys(const ConfigFields& f, ModelConfig& c) {
  c.vocab_size = f.positive("vocab_size", c.vocab_size);
  c.hidden_size = f.positive("dim", 768);
  c.num_hidden_layers = f.positive("n_layers", 6);
  c.num_attention_heads = f.positive("n_heads", 12);
  c.intermediate_size = f.positive("hidden_dim", 3072);
  c.max_position_embeddings = f.positive("max_position_embeddings", c.max_position_embeddings);
  c.pad_token_id = f.pad_token_id(0, c.vocab_size);
  c.hidden_act = f.string("activation", "gelu");
  c.activation = f.activation("activation", c.hidden_act);
  c.hidden_dropout_prob = f.probability("dropout", 0.1);
  c.attention_probs_dropout_prob = f.probability("attention_dropout", 0.1);
  c.seq_classif_dropout = f.probability("seq_classif_dropout", 0.2);
  c.sinusoidal_pos_embds = f.boolean("sinusoidal_pos_embds", false);
  c.layer_norm_eps = 1e-12;
  c.type_vocab_size = 0;
  c.embedding_size = c.hidden_size;
}

// The families that spell their settings as BERT does (RoBERTa, XLM-R, ELECTRA) or as DistilBERT
// does, and the checks they share. Rejects what the Berth encoder would silently compute
// differently from HF.
void read_encoder_keys(const json& j, const ConfigFields& f, ModelConfig& c) {
  // RobertaConfig's default: ids 0-2 are <s>, <pad>, </s>.
  if (c.positions_after_padding()) c.pad_token_id = 1;
  const bool distil = c.family == ModelFamily::kDistilBert;
  if (distil)
    read_distilbert_keys(f, c);
  else
    read_bert_keys(j, f, c);

  if (distil && c.hidden_size % c.num_attention_heads != 0)
    f.fail("dim", std::to_string(c.hidden_size) + " is not divisible by n_heads " +
                      std::to_string(c.num_attention_heads));
  if (c.max_sequence_length() <= 0)
    f.fail("max_position_embeddings", std::to_string(c.max_position_embeddings) +
                                          " leaves no position after pad_token_id " +
                                          std::to_string(c.pad_token_id));
  if (!(c.layer_norm_eps > 0)) f.fail("layer_norm_eps", "must be positive");
  c.initializer_range = f.number("initializer_range", c.initializer_range);
}

}  // namespace

ModelConfig ModelConfig::from_json(const json& j, const std::string& source) {
  ConfigFields f(j, source);
  ModelConfig c;
  c.original = j;

  std::string model_type = f.string("model_type", "");
  auto family = parse_model_family(model_type);
  if (!family)
    f.fail("model_type",
           model_type.empty() ? std::string("missing") : "\"" + model_type + "\" is not supported",
           kSupportedModels);
  c.family = *family;
  // DeBERTa-v2 and ModernBERT spell their settings their own way: their configs read and check
  // them, and fill the shared fields.
  if (c.family == ModelFamily::kDebertaV2)
    DebertaV2Config::from_json(j, source).fill(c);
  else if (c.family == ModelFamily::kModernBert)
    ModernBertConfig::from_json(j, source).fill(c);
  else
    read_encoder_keys(j, f, c);
  c.label_names = f.label_names();
  c.problem_type = f.problem_type();
  return c;
}

json ModelConfig::to_json() const {
  json j = classifier_config_json(original, family, label_names, problem_type);
  // DeBERTa-v2's and ModernBERT's architecture keys are those read (their configs keep no
  // others), so a save describes exactly the model that was loaded.
  if (family == ModelFamily::kDebertaV2 || family == ModelFamily::kModernBert) return j;

  j["vocab_size"] = vocab_size;
  j["max_position_embeddings"] = max_position_embeddings;
  j["pad_token_id"] = pad_token_id;
  j["initializer_range"] = initializer_range;
  if (family == ModelFamily::kDistilBert) {
    j["dim"] = hidden_size;
    j["n_layers"] = num_hidden_layers;
    j["n_heads"] = num_attention_heads;
    j["hidden_dim"] = intermediate_size;
    j["activation"] = hidden_act;
    j["dropout"] = hidden_dropout_prob;
    j["attention_dropout"] = attention_probs_dropout_prob;
    j["seq_classif_dropout"] = seq_classif_dropout;
    j["sinusoidal_pos_embds"] = sinusoidal_pos_embds;
  } else {
    j["hidden_size"] = hidden_size;
    j["num_hidden_layers"] = num_hidden_layers;
    j["num_attention_heads"] = num_attention_heads;
    j["intermediate_size"] = intermediate_size;
    j["hidden_act"] = hidden_act;
    j["type_vocab_size"] = type_vocab_size;
    j["layer_norm_eps"] = layer_norm_eps;
    j["hidden_dropout_prob"] = hidden_dropout_prob;
    j["attention_probs_dropout_prob"] = attention_probs_dropout_prob;
    j["classifier_dropout"] = classifier_dropout ? json(*classifier_dropout) : json(nullptr);
    j["position_embedding_type"] = "absolute";
    if (family == ModelFamily::kElectra) j["embedding_size"] = embedding_size;
  }
  return j;
}

}  // namespace berth::model
