#include "serve/openapi.h"

#include <nlohmann/json.hpp>

namespace berth::serve {

using nlohmann::ordered_json;

namespace {

ordered_json ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

ordered_json json_body(const ordered_json& schema) {
  return {{"content", {{"application/json", {{"schema", schema}}}}}};
}

ordered_json errors() {
  ordered_json e = ordered_json::object();
  for (const char* code : {"400", "401", "405", "413", "422", "429", "503"})
    e[code] = {{"description", "{\"error\": ..., \"error_type\": ...}"}};
  for (auto& [code, v] : e.items()) v.update(json_body(ref("Error")));
  return e;
}

ordered_json post(const std::string& summary, const std::string& request,
                  const ordered_json& response) {
  ordered_json responses = {{"200", {{"description", "OK"}}}};
  responses["200"].update(json_body(response));
  responses.update(errors());
  return {
      {"post",
       {{"summary", summary}, {"requestBody", json_body(ref(request))}, {"responses", responses}}}};
}

ordered_json get(const std::string& summary, const std::string& type) {
  return {{"get",
           {{"summary", summary},
            {"responses",
             {{"200", {{"description", "OK"}, {"content", {{type, ordered_json::object()}}}}}}}}}};
}

}  // namespace

std::string openapi_document(const std::string& version, bool bearer_auth) {
  const ordered_json text_or_pair = {
      {"oneOf",
       {{{"type", "string"}},
        {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 2}, {"maxItems", 2}}}}};
  const ordered_json inputs = {
      {"oneOf", {text_or_pair, {{"type", "array"}, {"items", text_or_pair}}}}};
  ordered_json predict_request = {
      {"type", "object"},
      {"required", {"inputs"}},
      {"properties",
       {{"inputs", inputs},
        {"raw_scores", {{"type", "boolean"}, {"default", false}}},
        {"truncate", {{"type", "boolean"}, {"default", false}}},
        {"truncation_direction", {{"type", "string"}, {"enum", {"Right", "Left"}}}}}}};
  ordered_json inference_request = predict_request;
  inference_request["properties"]["parameters"] = {
      {"type", "object"},
      {"properties",
       {{"top_k", {{"type", "integer"}, {"minimum", 1}}},
        {"function_to_apply", {{"type", "string"}, {"enum", {"softmax", "sigmoid", "none"}}}}}}};
  const ordered_json score = {
      {"type", "object"},
      {"required", {"score", "label"}},
      {"properties",
       {{"score", {{"type", "number"}}},
        {"label", {{"type", "string"}}},
        {"predicted",
         {{"type", "boolean"}, {"description", "multi-label models: at or over the threshold"}}}}}};
  const ordered_json scores = {{"type", "array"}, {"items", ref("Score")}};
  const ordered_json token = {{"type", "object"},
                              {"properties",
                               {{"id", {{"type", "integer"}}},
                                {"text", {{"type", "string"}}},
                                {"special", {{"type", "boolean"}}},
                                {"start", {{"type", "integer"}, {"nullable", true}}},
                                {"stop", {{"type", "integer"}, {"nullable", true}}}}}};
  const ordered_json tokenize_request = {
      {"type", "object"},
      {"required", {"inputs"}},
      {"properties",
       {{"inputs",
         {{"oneOf", {{{"type", "string"}}, {{"type", "array"}, {"items", {{"type", "string"}}}}}}}},
        {"add_special_tokens", {{"type", "boolean"}, {"default", true}}}}}};
  const ordered_json error = {
      {"type", "object"},
      {"properties", {{"error", {{"type", "string"}}}, {"error_type", {{"type", "string"}}}}}};

  ordered_json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "berth serve"},
        {"version", version},
        {"description",
         "Text classification with a fine-tuned BERT checkpoint, in the shapes of "
         "text-embeddings-inference (/predict, /tokenize) and the Hugging Face Inference API "
         "(/)."}}},
      {"paths",
       {{"/", post("Classify (Inference API shape: a list per input)", "InferenceRequest",
                   {{"type", "array"}, {"items", scores}})},
        {"/predict", post("Classify (TEI shape)", "PredictRequest",
                          {{"oneOf", {scores, {{"type", "array"}, {"items", scores}}}}})},
        {"/tokenize", post("Tokenize (TEI shape)", "TokenizeRequest",
                           {{"type", "array"}, {"items", {{"type", "array"}, {"items", token}}}})},
        {"/health",
         get("200 when ready, 503 while draining (no authentication)", "application/json")},
        {"/info", get("Model, labels, limits, version", "application/json")},
        {"/metrics", get("Prometheus text format", "text/plain")},
        {"/openapi.json", get("This document", "application/json")}}},
      {"components",
       {{"schemas",
         {{"PredictRequest", predict_request},
          {"InferenceRequest", inference_request},
          {"TokenizeRequest", tokenize_request},
          {"Score", score},
          {"Error", error}}}}}};
  if (bearer_auth) {
    doc["components"]["securitySchemes"] = {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}};
    doc["security"] = ordered_json::array({{{"bearer", ordered_json::array()}}});
  }
  return doc.dump();
}

}  // namespace berth::serve
