#include "serve/tei.h"

#include <algorithm>
#include <numeric>

namespace berth::serve {

using nlohmann::json;

namespace {

HttpError invalid(const std::string& message) {
  return HttpError{422, "Validation", message};
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

}  // namespace

PredictRequest parse_predict_request(const std::string& body, size_t max_inputs) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw HttpError{400, "Validation", "the body is not valid JSON"};
  if (!j.is_object() || !j.contains("inputs"))
    throw invalid("the body must be a JSON object with \"inputs\"");
  PredictRequest r;
  for (const char* flag : {"raw_scores", "truncate"}) {
    if (!j.contains(flag) || j[flag].is_null()) continue;
    if (!j[flag].is_boolean()) throw invalid(std::string("\"") + flag + "\" must be true or false");
    (std::string(flag) == "raw_scores" ? r.raw_scores : r.truncate) = j[flag].get<bool>();
  }
  const json& in = j["inputs"];
  // A list holding one [text, pair] list, or any list whose first element is a string or a list,
  // is a batch; a list of two strings too (see tei.h).
  if (in.is_array()) {
    r.batch = true;
    if (in.empty()) throw invalid("\"inputs\" is an empty list");
    if (in.size() > max_inputs)
      throw HttpError{413, "Validation",
                      std::to_string(in.size()) + " inputs in one request; the limit is " +
                          std::to_string(max_inputs) + " (--max-client-batch-size)"};
    for (size_t i = 0; i < in.size(); ++i) add_input(in[i], r, i);
  } else {
    add_input(in, r, 0);
  }
  return r;
}

std::string render_predictions(const PredictRequest& request,
                               const std::vector<model::Prediction>& predictions,
                               const std::vector<std::string>& label_names) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& p : predictions) {
    const std::vector<float>& scores = request.raw_scores ? p.logits : p.probs;
    std::vector<size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    nlohmann::ordered_json one = nlohmann::ordered_json::array();
    for (size_t k : order)
      one.push_back(nlohmann::ordered_json{{"score", scores[k]}, {"label", label_names[k]}});
    all.push_back(std::move(one));
  }
  return (request.batch ? all : all.at(0)).dump();
}

std::string render_error(const HttpError& e) {
  return json{{"error", e.message}, {"error_type", e.type}}.dump();
}

}  // namespace berth::serve
