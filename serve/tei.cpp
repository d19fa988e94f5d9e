#include "serve/tei.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/tokenizer.h"

namespace berth::serve {

using nlohmann::json;

namespace {

HttpError invalid(const std::string& message) {
  return HttpError{422, "Validation", message};
}

json parse_object(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw HttpError{400, "Validation", "the body is not valid JSON"};
  if (!j.is_object() || !j.contains("inputs"))
    throw invalid("the body must be a JSON object with \"inputs\"");
  return j;
}

// An optional boolean field; absent and null keep `value`.
void read_bool(const json& j, const char* key, bool& value) {
  if (!j.contains(key) || j[key].is_null()) return;
  if (!j[key].is_boolean()) throw invalid(std::string("\"") + key + "\" must be true or false");
  value = j[key].get<bool>();
}

// A string field out of a closed set; absent and null give nullopt.
std::optional<std::string> read_choice(const json& j, const std::string& where, const char* key,
                                       const std::vector<std::string>& allowed) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  std::string joined;
  for (const auto& a : allowed) joined += (joined.empty() ? "" : ", ") + ("\"" + a + "\"");
  if (j[key].is_string()) {
    const std::string v = j[key].get<std::string>();
    for (const auto& a : allowed)
      if (v == a) return v;
  }
  throw invalid(where + "\"" + key + "\" must be one of " + joined);
}

void check_count(const json& in, size_t max_inputs) {
  if (in.empty()) throw invalid("\"inputs\" is an empty list");
  if (in.size() > max_inputs)
    throw HttpError{413, "Validation",
                    std::to_string(in.size()) + " inputs in one request; the limit is " +
                        std::to_string(max_inputs) + " (--max-client-batch-size)"};
}

// One input: a string, or a [text, pair] list.
void add_input(const json& v, PredictRequest& r, size_t index) {
  const std::string where = r.batch ? "inputs[" + std::to_string(index) + "]" : "inputs";
  if (v.is_string()) {
    if (!r.pairs.empty()) throw invalid(where + " is a single text but earlier inputs are pairs");
    r.texts.push_back(v.get<std::string>());
  } else if (v.is_array() && v.size() == 2 && v[0].is_string() && v[1].is_string()) {
    if (r.pairs.size() != r.texts.size())
      throw invalid(where + " is a text pair but earlier inputs are single texts");
    r.texts.push_back(v[0].get<std::string>());
    r.pairs.push_back(v[1].get<std::string>());
  } else {
    throw invalid(where + " must be a string or a [text, pair] list of two strings");
  }
  if (r.texts.back().empty() || (!r.pairs.empty() && r.pairs.back().empty()))
    throw invalid(where + " is empty");
}

// The Inference API's "parameters": top_k and function_to_apply.
void read_parameters(const json& j, PredictRequest& r) {
  if (!j.contains("parameters") || j["parameters"].is_null()) return;
  const json& p = j["parameters"];
  if (!p.is_object()) throw invalid("\"parameters\" must be an object");
  if (p.contains("top_k") && !p["top_k"].is_null()) {
    if (!p["top_k"].is_number_integer() || p["top_k"].get<int64_t>() < 1)
      throw invalid("\"parameters\": \"top_k\" must be a positive integer");
    r.top_k = p["top_k"].get<size_t>();
  }
  if (auto f =
          read_choice(p, "\"parameters\": ", "function_to_apply", {"softmax", "sigmoid", "none"}))
    r.scores = *f == "softmax"   ? ScoreFunction::kSoftmax
               : *f == "sigmoid" ? ScoreFunction::kSigmoid
                                 : ScoreFunction::kNone;
}

std::vector<float> scores_of(const model::Prediction& p, ScoreFunction f) {
  switch (f) {
    case ScoreFunction::kModelDefault:
      return p.probs;  // softmax, or sigmoid per label for a multi-label model
    case ScoreFunction::kNone:
      return p.logits;
    case ScoreFunction::kSigmoid: {
      std::vector<float> s(p.logits.size());
      for (size_t k = 0; k < s.size(); ++k) s[k] = 1.0f / (1.0f + std::exp(-p.logits[k]));
      return s;
    }
    case ScoreFunction::kSoftmax: {
      const float top = *std::max_element(p.logits.begin(), p.logits.end());
      std::vector<float> s(p.logits.size());
      float z = 0;
      for (size_t k = 0; k < s.size(); ++k) z += s[k] = std::exp(p.logits[k] - top);
      for (float& v : s) v /= z;
      return s;
    }
  }
  return p.probs;
}

}  // namespace

PredictRequest parse_predict_request(const std::string& body, size_t max_inputs, ApiShape shape) {
  const json j = parse_object(body);
  PredictRequest r;
  r.shape = shape;
  bool raw_scores = false;
  read_bool(j, "raw_scores", raw_scores);
  if (raw_scores) r.scores = ScoreFunction::kNone;
  read_bool(j, "truncate", r.truncate);
  // TEI spells the direction "Right"/"Left"; the Inference API's clients send it lower-case.
  if (auto d = read_choice(j, "", "truncation_direction", {"Right", "Left", "right", "left"}))
    r.direction = (*d == "Left" || *d == "left") ? Truncation::kTail : Truncation::kHead;
  if (shape == ApiShape::kInferenceApi) read_parameters(j, r);
  const json& in = j["inputs"];
  // A list holding one [text, pair] list, or any list whose first element is a string or a list,
  // is a batch; a list of two strings too (see tei.h).
  if (in.is_array()) {
    r.batch = true;
    check_count(in, max_inputs);
    for (size_t i = 0; i < in.size(); ++i) add_input(in[i], r, i);
  } else {
    add_input(in, r, 0);
  }
  return r;
}

TokenizeRequest parse_tokenize_request(const std::string& body, size_t max_inputs) {
  const json j = parse_object(body);
  TokenizeRequest r;
  read_bool(j, "add_special_tokens", r.add_special_tokens);
  const json& in = j["inputs"];
  const json list = in.is_array() ? in : json::array({in});
  check_count(list, max_inputs);
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string())
      throw invalid((in.is_array() ? "inputs[" + std::to_string(i) + "]" : "inputs") +
                    " must be a string");
    r.texts.push_back(list[i].get<std::string>());
  }
  return r;
}

std::string render_predictions(const PredictRequest& request,
                               const std::vector<model::Prediction>& predictions,
                               const std::vector<std::string>& label_names, bool multi_label) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& p : predictions) {
    const std::vector<float> scores = scores_of(p, request.scores);
    std::vector<size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    if (request.top_k > 0 && request.top_k < order.size()) order.resize(request.top_k);
    nlohmann::ordered_json one = nlohmann::ordered_json::array();
    for (size_t k : order) {
      nlohmann::ordered_json e{{"score", scores[k]}, {"label", label_names[k]}};
      if (multi_label)
        e["predicted"] =
            std::find(p.labels.begin(), p.labels.end(), static_cast<int64_t>(k)) != p.labels.end();
      one.push_back(std::move(e));
    }
    all.push_back(std::move(one));
  }
  // The Inference API answers a list per input even for one text (InferenceClient reads [0]).
  if (request.shape == ApiShape::kInferenceApi || request.batch) return all.dump();
  return all.at(0).dump();
}

std::string render_tokens(const TokenizeRequest& request, const data::Tokenizer& tokenizer) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& text : request.texts) {
    std::vector<int32_t> ids = tokenizer.tokenize_to_ids(text);
    const bool special = request.add_special_tokens;
    nlohmann::ordered_json one = nlohmann::ordered_json::array();
    auto add = [&](int32_t id, bool is_special) {
      one.push_back({{"id", id},
                     {"text", tokenizer.token(id)},
                     {"special", is_special},
                     {"start", nullptr},
                     {"stop", nullptr}});
    };
    if (special) add(tokenizer.cls_id(), true);
    for (int32_t id : ids) add(id, false);
    if (special) add(tokenizer.sep_id(), true);
    all.push_back(std::move(one));
  }
  return all.dump();
}

std::string render_error(const HttpError& e) {
  return json{{"error", e.message}, {"error_type", e.type}}.dump();
}

}  // namespace berth::serve
