#include "model/deberta_v2_config.h"

#include "model/config_fields.h"

namespace berth::model {

using nlohmann::json;

namespace {

// pos_att_type: HF's configs write a list (["p2c", "c2p"]); older ones the string "p2c|c2p".
std::vector<std::string> pos_att_types(const json& j, const ConfigFields& f) {
  std::vector<std::string> types;
  if (!f.has("pos_att_type")) return types;
  const json& v = j.at("pos_att_type");
  auto add = [&](std::string t) {
    t.erase(0, t.find_first_not_of(' '));
    t.erase(t.find_last_not_of(' ') + 1);
    for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!t.empty()) types.push_back(t);
  };
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    for (size_t start = 0;;) {
      size_t bar = s.find('|', start);
      add(s.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
  } else if (v.is_array()) {
    for (auto& e : v) {
      if (!e.is_string()) f.fail("pos_att_type", "expected strings, found " + e.dump());
      add(e.get<std::string>());
    }
  } else {
    f.fail("pos_att_type", "expected a list such as [\"p2c\", \"c2p\"], found " + v.dump());
  }
  return types;
}

}  // namespace

DebertaV2Config DebertaV2Config::from_json(const json& j, const std::string& source) {
  ConfigFields f(j, source);
  DebertaV2Config c;
  f.expect_model_type(ModelFamily::kDebertaV2);

  read_encoder_sizes(f, c);
  c.type_vocab_size = f.integer("type_vocab_size", c.type_vocab_size);
  if (c.type_vocab_size < 0) f.fail("type_vocab_size", "must not be negative");
  c.activation = f.activation("hidden_act", "gelu");
  c.pooler_activation = f.activation("pooler_hidden_act", "gelu");
  c.layer_norm_eps = f.number("layer_norm_eps", c.layer_norm_eps);
  if (!(c.layer_norm_eps > 0)) f.fail("layer_norm_eps", "must be positive");
  c.hidden_dropout_prob = f.probability("hidden_dropout_prob", c.hidden_dropout_prob);
  c.attention_probs_dropout_prob =
      f.probability("attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  c.pooler_dropout = f.probability("pooler_dropout", c.pooler_dropout);
  c.classifier_dropout = f.probability("cls_dropout", c.hidden_dropout_prob);
  c.initializer_range = f.number("initializer_range", c.initializer_range);
  c.position_biased_input = f.boolean("position_biased_input", c.position_biased_input);

  c.relative_attention = f.boolean("relative_attention", c.relative_attention);
  c.max_relative_positions = f.integer("max_relative_positions", c.max_relative_positions);
  c.position_buckets = f.integer("position_buckets", c.position_buckets);
  c.share_att_key = f.boolean("share_att_key", c.share_att_key);
  for (const auto& t : pos_att_types(j, f)) {
    if (t == "c2p")
      c.c2p = true;
    else if (t == "p2c")
      c.p2c = true;
    else
      f.fail("pos_att_type", "\"" + t + "\" is not supported",
             "transformers' DeBERTa-v2 computes c2p and p2c only");
  }
  const std::string norm = f.string("norm_rel_ebd", "none");
  if (norm == "layer_norm")
    c.norm_rel_ebd = true;
  else if (norm != "none")
    f.fail("norm_rel_ebd", "\"" + norm + "\" is not supported", "\"layer_norm\" or \"none\"");

  // What DeBERTa-v2 can do and Berth does not implement.
  if (f.integer("conv_kernel_size", 0) > 0)
    f.fail("conv_kernel_size",
           "the convolution layer after the first encoder layer is not "
           "supported",
           "DeBERTa-v2 xlarge/xxlarge use it; DeBERTa-v3 and mDeBERTa-v3 checkpoints do not");
  if (f.has("embedding_size") && f.integer("embedding_size", 0) != c.hidden_size)
    f.fail("embedding_size",
           "an embedding size other than hidden_size (embed_proj) is not "
           "supported");
  if (f.has("attention_head_size") && f.integer("attention_head_size", 0) != c.head_dim())
    f.fail("attention_head_size", "must equal hidden_size / num_attention_heads");
  if (f.has("pooler_hidden_size") && f.integer("pooler_hidden_size", 0) != c.hidden_size)
    f.fail("pooler_hidden_size",
           "must equal hidden_size (transformers' ContextPooler reads "
           "the hidden state of the first token)");
  if (f.integer("z_steps", 0) > 1) f.fail("z_steps", "enhanced mask decoder steps not supported");
  return c;
}

void DebertaV2Config::fill(ModelConfig& c) const {
  copy_encoder_sizes(*this, c);
  c.hidden_act = c.original.value("hidden_act", "gelu");
  c.type_vocab_size = type_vocab_size;
  c.layer_norm_eps = layer_norm_eps;
  c.hidden_dropout_prob = hidden_dropout_prob;
  c.attention_probs_dropout_prob = attention_probs_dropout_prob;
}

}  // namespace berth::model
