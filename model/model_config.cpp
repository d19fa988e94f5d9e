#include "model/model_config.h"

#include <fstream>
#include <map>

#include "common/error.h"
#include "model/deberta_v2_config.h"
#include "model/modernbert_config.h"

namespace berth::model {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& source, const std::string& key, const std::string& what,
                      const std::string& hint = {}) {
  throw model_error("model", source + ": key \"" + key + "\": " + what, hint);
}

// A present, non-null value of the expected kind, or the default. HF writes ints for ints but
// people hand-edit configs, so an integral float (e.g. 768.0) is accepted where an int is due.
int64_t get_int(const json& j, const std::string& source, const std::string& key, int64_t dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  bad(source, key, "expected an integer, found " + it->dump());
}

double get_double(const json& j, const std::string& source, const std::string& key, double dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (it->is_number()) return it->get<double>();
  bad(source, key, "expected a number, found " + it->dump());
}

std::string get_string(const json& j, const std::string& source, const std::string& key,
                       const std::string& dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (it->is_string()) return it->get<std::string>();
  bad(source, key, "expected a string, found " + it->dump());
}

void require_positive(int64_t v, const std::string& source, const std::string& key) {
  if (v <= 0) bad(source, key, "must be positive, found " + std::to_string(v));
}

void require_probability(double p, const std::string& source, const std::string& key) {
  if (!(p >= 0.0 && p < 1.0)) bad(source, key, "must be in [0, 1), found " + std::to_string(p));
}

Activation parse_activation(const std::string& name, const std::string& source,
                            const std::string& key) {
  // Only the names HF maps to these exact functions (transformers.activations.ACT2FN).
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
    return Activation::kGeluTanh;
  if (name == "relu") return Activation::kRelu;
  if (name == "silu" || name == "swish") return Activation::kSilu;
  bad(source, key, "unsupported activation \"" + name + "\"",
      "supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu/swish");
}

// id2label as HF writes it: {"0": "NEGATIVE", "1": "POSITIVE"}. Ids must be 0..n-1 because the
// classifier's rows are indexed by them.
std::vector<std::string> parse_id2label(const json& j, const std::string& source) {
  auto it = j.find("id2label");
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_object()) bad(source, "id2label", "expected an object {\"0\": \"name\", ...}");
  std::map<int64_t, std::string> by_id;
  for (auto& [k, v] : it->items()) {
    int64_t id = -1;
    try {
      size_t used = 0;
      id = std::stoll(k, &used);
      if (used != k.size()) id = -1;
    } catch (const std::exception&) {
    }
    if (id < 0) bad(source, "id2label", "key \"" + k + "\" is not a non-negative integer");
    if (!v.is_string()) bad(source, "id2label", "value for \"" + k + "\" is not a string");
    by_id[id] = v.get<std::string>();
  }
  std::vector<std::string> names;
  for (auto& [id, name] : by_id) {
    if (id != static_cast<int64_t>(names.size()))
      bad(source, "id2label",
          "ids must be 0.." + std::to_string(by_id.size() - 1) + " without gaps; id " +
              std::to_string(names.size()) + " is missing");
    names.push_back(name);
  }
  return names;
}

}  // namespace

std::vector<std::string> default_label_names(int64_t num_labels) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < num_labels; ++i) names.push_back("LABEL_" + std::to_string(i));
  return names;
}

ModelConfig ModelConfig::from_file(const std::string& path) {
  std::ifstream f(path);
  if (!f)
    throw model_error("model", "cannot read " + path,
                      "a model directory needs the Hugging Face config.json beside its weights");
  json j;
  try {
    j = json::parse(f);
  } catch (const json::exception& e) {
    throw model_error("model", path + ": not valid JSON: " + e.what());
  }
  return from_json(j, path);
}

namespace {

// BERT's key names, shared by RoBERTa, XLM-R and ELECTRA.
void read_bert_keys(const json& j, const std::string& source, ModelConfig& c) {
  std::string pos = get_string(j, source, "position_embedding_type", "absolute");
  if (pos != "absolute")
    bad(source, "position_embedding_type", "\"" + pos + "\" is not supported",
        std::string("only absolute position embeddings are implemented; ") + kSupportedModels);
  if (auto it = j.find("is_decoder"); it != j.end() && it->is_boolean() && it->get<bool>())
    bad(source, "is_decoder", "decoder (causal) models are not supported",
        "Berth fine-tunes bidirectional encoders for classification");
  if (auto it = j.find("add_cross_attention"); it != j.end() && it->is_boolean() && it->get<bool>())
    bad(source, "add_cross_attention", "cross-attention is not supported");
  c.vocab_size = get_int(j, source, "vocab_size", c.vocab_size);
  c.hidden_size = get_int(j, source, "hidden_size", c.hidden_size);
  c.num_hidden_layers = get_int(j, source, "num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = get_int(j, source, "num_attention_heads", c.num_attention_heads);
  c.intermediate_size = get_int(j, source, "intermediate_size", c.intermediate_size);
  c.max_position_embeddings =
      get_int(j, source, "max_position_embeddings", c.max_position_embeddings);
  c.type_vocab_size = get_int(j, source, "type_vocab_size", c.type_vocab_size);
  c.pad_token_id = get_int(j, source, "pad_token_id", c.pad_token_id);
  c.hidden_act = get_string(j, source, "hidden_act", c.hidden_act);
  c.layer_norm_eps = get_double(j, source, "layer_norm_eps", c.layer_norm_eps);
  c.hidden_dropout_prob = get_double(j, source, "hidden_dropout_prob", c.hidden_dropout_prob);
  c.attention_probs_dropout_prob =
      get_double(j, source, "attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  if (auto it = j.find("classifier_dropout"); it != j.end() && !it->is_null()) {
    c.classifier_dropout = get_double(j, source, "classifier_dropout", 0.0);
    require_probability(*c.classifier_dropout, source, "classifier_dropout");
  }
  // ElectraConfig's default; the other families embed at the hidden width.
  c.embedding_size =
      c.family == ModelFamily::kElectra ? get_int(j, source, "embedding_size", 128) : c.hidden_size;
}

// DistilBertConfig's names (dim, n_layers, ...) into BERT's fields; its LayerNorms use a fixed
// eps and it has no token types.
void read_distilbert_keys(const json& j, const std::string& source, ModelConfig& c) {
  c.vocab_size = get_int(j, source, "vocab_size", c.vocab_size);
  c.hidden_size = get_int(j, source, "dim", 768);
  c.num_hidden_layers = get_int(j, source, "n_layers", 6);
  c.num_attention_heads = get_int(j, source, "n_heads", 12);
  c.intermediate_size = get_int(j, source, "hidden_dim", 3072);
  c.max_position_embeddings =
      get_int(j, source, "max_position_embeddings", c.max_position_embeddings);
  c.pad_token_id = get_int(j, source, "pad_token_id", 0);
  c.hidden_act = get_string(j, source, "activation", "gelu");
  c.hidden_dropout_prob = get_double(j, source, "dropout", 0.1);
  c.attention_probs_dropout_prob = get_double(j, source, "attention_dropout", 0.1);
  c.seq_classif_dropout = get_double(j, source, "seq_classif_dropout", 0.2);
  require_probability(c.seq_classif_dropout, source, "seq_classif_dropout");
  if (auto it = j.find("sinusoidal_pos_embds"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) bad(source, "sinusoidal_pos_embds", "expected true or false");
    c.sinusoidal_pos_embds = it->get<bool>();
  }
  c.layer_norm_eps = 1e-12;
  c.type_vocab_size = 0;
  c.embedding_size = c.hidden_size;
}

}  // namespace

ModelConfig ModelConfig::from_json(const json& j, const std::string& source) {
  if (!j.is_object()) throw model_error("model", source + ": expected a JSON object");
  ModelConfig c;
  c.original = j;

  std::string model_type = get_string(j, source, "model_type", "");
  auto family = parse_model_family(model_type);
  if (!family)
    bad(source, "model_type",
        model_type.empty() ? std::string("missing") : "\"" + model_type + "\" is not supported",
        kSupportedModels);
  c.family = *family;
  // DeBERTa-v2 and ModernBERT spell their settings their own way: their configs read and check
  // them, and fill the shared fields.
  if (c.family == ModelFamily::kDebertaV2) {
    DebertaV2Config::from_json(j, source).fill(c);
    return c;
  }
  if (c.family == ModelFamily::kModernBert) {
    ModernBertConfig::from_json(j, source).fill(c);
    return c;
  }
  // RobertaConfig's default: ids 0-2 are <s>, <pad>, </s>.
  if (c.positions_after_padding()) c.pad_token_id = 1;

  // Reject what the Berth encoder would silently compute differently from HF.
  if (c.family == ModelFamily::kDistilBert)
    read_distilbert_keys(j, source, c);
  else
    read_bert_keys(j, source, c);

  const bool distil = c.family == ModelFamily::kDistilBert;
  auto key = [&](const char* bert_name, const char* distil_name) {
    return distil ? distil_name : bert_name;
  };
  for (auto [v, k] : {std::pair{c.vocab_size, "vocab_size"},
                      {c.hidden_size, key("hidden_size", "dim")},
                      {c.num_hidden_layers, key("num_hidden_layers", "n_layers")},
                      {c.num_attention_heads, key("num_attention_heads", "n_heads")},
                      {c.intermediate_size, key("intermediate_size", "hidden_dim")},
                      {c.max_position_embeddings, "max_position_embeddings"},
                      {c.embedding_size, "embedding_size"}})
    require_positive(v, source, k);
  if (!distil) require_positive(c.type_vocab_size, source, "type_vocab_size");
  if (c.hidden_size % c.num_attention_heads != 0)
    bad(source, key("hidden_size", "dim"),
        std::to_string(c.hidden_size) + " is not divisible by " +
            key("num_attention_heads", "n_heads") + " " + std::to_string(c.num_attention_heads));
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size)
    bad(source, "pad_token_id", std::to_string(c.pad_token_id) + " is outside the vocabulary");
  if (c.max_sequence_length() <= 0)
    bad(source, "max_position_embeddings",
        std::to_string(c.max_position_embeddings) + " leaves no position after pad_token_id " +
            std::to_string(c.pad_token_id));

  c.activation = parse_activation(c.hidden_act, source, key("hidden_act", "activation"));
  if (!(c.layer_norm_eps > 0)) bad(source, "layer_norm_eps", "must be positive");
  require_probability(c.hidden_dropout_prob, source, key("hidden_dropout_prob", "dropout"));
  require_probability(c.attention_probs_dropout_prob, source,
                      key("attention_probs_dropout_prob", "attention_dropout"));
  c.initializer_range = get_double(j, source, "initializer_range", c.initializer_range);

  c.label_names = parse_id2label(j, source);
  if (c.label_names.empty()) {
    // Hand-written configs sometimes give only num_labels; HF then names the labels LABEL_i.
    int64_t n = get_int(j, source, "num_labels", 0);
    if (n < 0) bad(source, "num_labels", "must be positive");
    if (n > 0) c.label_names = default_label_names(n);
  }
  c.problem_type = get_string(j, source, "problem_type", "");
  if (!c.problem_type.empty() && c.problem_type != "single_label_classification" &&
      c.problem_type != "multi_label_classification" && c.problem_type != "regression")
    bad(source, "problem_type", "unknown problem type \"" + c.problem_type + "\"",
        "one of single_label_classification, multi_label_classification, regression, or null");
  return c;
}

json ModelConfig::to_json() const {
  if (family == ModelFamily::kDebertaV2) return DebertaV2Config::json_for(*this);
  if (family == ModelFamily::kModernBert) return ModernBertConfig::json_for(*this);
  json j = original.is_object() ? original : json::object();
  // Keys that only describe the run that wrote the source file, or that HF derives itself.
  for (const char* k : {"num_labels", "_name_or_path", "gradient_checkpointing"}) j.erase(k);
  j["architectures"] = json::array({sequence_classifier_architecture(family)});
  j["model_type"] = model_type_of(family);
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
  j["problem_type"] = problem_type.empty() ? json(nullptr) : json(problem_type);
  // HF's own spelling: string ids in id2label, integer ids in label2id.
  json id2label = json::object(), label2id = json::object();
  auto names = label_names.empty() ? default_label_names(2) : label_names;
  for (size_t i = 0; i < names.size(); ++i) {
    id2label[std::to_string(i)] = names[i];
    label2id[names[i]] = i;
  }
  j["id2label"] = id2label;
  j["label2id"] = label2id;
  j["torch_dtype"] = "float32";  // what model.safetensors holds after a Berth save
  return j;
}

}  // namespace berth::model
