#include "model/config_fields.h"

#include <fstream>
#include <map>

#include "common/error.h"

namespace berth::model {

using nlohmann::json;

ConfigFields::ConfigFields(const json& j, std::string source) : j_(j), source_(std::move(source)) {
  if (!j_.is_object()) throw model_error("model", source_ + ": expected a JSON object");
}

void ConfigFields::fail(const std::string& key, const std::string& what,
                        const std::string& hint) const {
  throw model_error("model", source_ + ": key \"" + key + "\": " + what, hint);
}

bool ConfigFields::has(const std::string& key) const {
  auto it = j_.find(key);
  return it != j_.end() && !it->is_null();
}

int64_t ConfigFields::integer(const std::string& key, int64_t dflt) const {
  if (!has(key)) return dflt;
  const json& v = j_.at(key);
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  fail(key, "expected an integer, found " + v.dump());
}

double ConfigFields::number(const std::string& key, double dflt) const {
  if (!has(key)) return dflt;
  const json& v = j_.at(key);
  if (v.is_number()) return v.get<double>();
  fail(key, "expected a number, found " + v.dump());
}

bool ConfigFields::boolean(const std::string& key, bool dflt) const {
  if (!has(key)) return dflt;
  const json& v = j_.at(key);
  if (v.is_boolean()) return v.get<bool>();
  fail(key, "expected true or false, found " + v.dump());
}

std::string ConfigFields::string(const std::string& key, const std::string& dflt) const {
  if (!has(key)) return dflt;
  const json& v = j_.at(key);
  if (v.is_string()) return v.get<std::string>();
  fail(key, "expected a string, found " + v.dump());
}

int64_t ConfigFields::positive(const std::string& key, int64_t dflt) const {
  int64_t v = integer(key, dflt);
  if (v <= 0) fail(key, "must be positive, found " + std::to_string(v));
  return v;
}

double ConfigFields::probability(const std::string& key, double dflt) const {
  double p = number(key, dflt);
  if (!(p >= 0.0 && p < 1.0)) fail(key, "must be in [0, 1), found " + std::to_string(p));
  return p;
}

Activation ConfigFields::activation(const std::string& key, const std::string& dflt) const {
  // Only the names transformers.activations.ACT2FN maps to these exact functions.
  const std::string name = string(key, dflt);
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
    return Activation::kGeluTanh;
  if (name == "relu") return Activation::kRelu;
  if (name == "silu" || name == "swish") return Activation::kSilu;
  fail(key, "unsupported activation \"" + name + "\"",
       "supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu/swish");
}

std::vector<std::string> ConfigFields::label_names() const {
  // id2label as HF writes it: {"0": "NEGATIVE", "1": "POSITIVE"}. Ids must be 0..n-1 because the
  // classifier's rows are indexed by them.
  std::vector<std::string> names;
  if (has("id2label")) names = id2label();
  if (names.empty()) {
    // Hand-written configs sometimes give only num_labels; HF then names the labels LABEL_i.
    int64_t n = integer("num_labels", 0);
    if (n < 0) fail("num_labels", "must be positive");
    if (n > 0) names = default_label_names(n);
  }
  return names;
}

std::vector<std::string> ConfigFields::id2label() const {
  const json& m = j_.at("id2label");
  if (!m.is_object()) fail("id2label", "expected an object {\"0\": \"name\", ...}");
  std::map<int64_t, std::string> by_id;
  for (auto& [k, v] : m.items()) {
    int64_t id = -1;
    try {
      size_t used = 0;
      id = std::stoll(k, &used);
      if (used != k.size()) id = -1;
    } catch (const std::exception&) {
    }
    if (id < 0) fail("id2label", "key \"" + k + "\" is not a non-negative integer");
    if (!v.is_string()) fail("id2label", "value for \"" + k + "\" is not a string");
    by_id[id] = v.get<std::string>();
  }
  std::vector<std::string> names;
  for (auto& [id, name] : by_id) {
    if (id != static_cast<int64_t>(names.size()))
      fail("id2label", "ids must be 0.." + std::to_string(by_id.size() - 1) + " without gaps; id " +
                           std::to_string(names.size()) + " is missing");
    names.push_back(name);
  }
  return names;
}

std::optional<ProblemType> ConfigFields::problem_type() const {
  if (!has("problem_type")) return std::nullopt;
  const std::string p = string("problem_type", "");
  auto type = parse_choice<ProblemType>(p);
  if (!type)
    fail("problem_type", "unknown problem type \"" + p + "\"",
         "one of " + allowed_choices<ProblemType>() + ", or null");
  return type;
}

int64_t ConfigFields::pad_token_id(int64_t dflt, int64_t vocab_size) const {
  const int64_t id = integer("pad_token_id", dflt);
  if (id < 0 || id >= vocab_size)
    fail("pad_token_id", std::to_string(id) + " is outside the vocabulary");
  return id;
}

void ConfigFields::expect_model_type(ModelFamily family) const {
  const std::string model_type = string("model_type", "");
  if (model_type != model_type_of(family))
    fail("model_type",
         std::string("expected \"") + model_type_of(family) + "\", found \"" + model_type + "\"");
}

json read_config_json(const std::string& path) {
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
  if (!j.is_object()) throw model_error("model", path + ": expected a JSON object");
  return j;
}

json classifier_config_json(const json& original, ModelFamily family,
                            const std::vector<std::string>& label_names,
                            std::optional<ProblemType> problem_type) {
  json j = original.is_object() ? original : json::object();
  // num_labels: HF derives it from id2label; the others describe the run that wrote the file.
  for (const char* k : {"num_labels", "_name_or_path", "gradient_checkpointing"}) j.erase(k);
  j["architectures"] = json::array({sequence_classifier_architecture(family)});
  j["model_type"] = model_type_of(family);
  json id2label = json::object(), label2id = json::object();
  auto names = label_names.empty() ? default_label_names(2) : label_names;
  for (size_t i = 0; i < names.size(); ++i) {
    id2label[std::to_string(i)] = names[i];
    label2id[names[i]] = i;
  }
  j["id2label"] = id2label;
  j["label2id"] = label2id;
  j["problem_type"] = problem_type ? json(to_string(*problem_type)) : json(nullptr);
  j["torch_dtype"] = "float32";  // what model.safetensors holds after a Berth save
  return j;
}

}  // namespace berth::model
