// The request and response shapes of serve/tei.h, without a server: the Inference API's
// parameters, TEI's truncation_direction, scores by function, top_k and multi-label decisions.
#include "serve/tei.h"

#include <gtest/gtest.h>

#include <cmath>

namespace berth::serve {
namespace {

using nlohmann::json;

model::Prediction prediction() {
  model::Prediction p;
  p.logits = {1.0f, -2.0f, 0.5f};
  float z = 0;
  for (float l : p.logits) z += std::exp(l);
  for (float l : p.logits) p.probs.push_back(std::exp(l) / z);
  return p;
}

const std::vector<std::string> kNames = {"a", "b", "c"};

TEST(Tei, TheInferenceApiShapeAnswersAListPerInputEvenForOneText) {
  auto r = parse_predict_request(R"({"inputs": "x", "parameters": {"top_k": 2}})", 4,
                                 ApiShape::kInferenceApi);
  EXPECT_EQ(r.top_k, 2u);
  auto out = json::parse(render_predictions(r, {prediction()}, kNames, false));
  ASSERT_TRUE(out.is_array());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].size(), 2u);
  EXPECT_EQ(out[0][0]["label"], "a");
  EXPECT_EQ(out[0][1]["label"], "c");
  // TEI's /predict keeps its flat answer for one text and ignores "parameters".
  auto tei = parse_predict_request(R"({"inputs": "x", "parameters": {"top_k": 1}})", 4);
  EXPECT_EQ(json::parse(render_predictions(tei, {prediction()}, kNames, false)).size(), 3u);
}

TEST(Tei, FunctionToApplyAndRawScores) {
  const auto p = prediction();
  auto score_of = [&](const std::string& body, const std::string& label) {
    auto r = parse_predict_request(body, 4, ApiShape::kInferenceApi);
    const json out = json::parse(render_predictions(r, {p}, kNames, false));
    for (const auto& e : out[0])
      if (e["label"] == label) return e["score"].get<double>();
    return std::nan("");
  };
  EXPECT_NEAR(score_of(R"({"inputs": "x", "parameters": {"function_to_apply": "sigmoid"}})", "b"),
              1 / (1 + std::exp(2.0)), 1e-6);
  EXPECT_NEAR(score_of(R"({"inputs": "x", "parameters": {"function_to_apply": "none"}})", "b"),
              -2.0, 1e-6);
  EXPECT_NEAR(score_of(R"({"inputs": "x", "raw_scores": true})", "c"), 0.5, 1e-6);
  EXPECT_NEAR(score_of(R"({"inputs": "x", "parameters": {"function_to_apply": "softmax"}})", "a"),
              p.probs[0], 1e-6);
  for (const char* bad :
       {R"({"inputs": "x", "parameters": {"function_to_apply": "relu"}})",
        R"({"inputs": "x", "parameters": {"top_k": 0}})", R"({"inputs": "x", "parameters": 3})",
        R"({"inputs": "x", "truncation_direction": "Up"})"}) {
    try {
      parse_predict_request(bad, 4, ApiShape::kInferenceApi);
      ADD_FAILURE() << bad;
    } catch (const HttpError& e) {
      EXPECT_EQ(e.status, 422) << bad;
    }
  }
}

TEST(Tei, TruncationDirectionReadsTeisSpelling) {
  EXPECT_FALSE(parse_predict_request(R"({"inputs": "x"})", 4).direction);
  EXPECT_EQ(
      *parse_predict_request(R"({"inputs": "x", "truncation_direction": "Left"})", 4).direction,
      Truncation::kTail);
  EXPECT_EQ(
      *parse_predict_request(R"({"inputs": "x", "truncation_direction": "Right"})", 4).direction,
      Truncation::kHead);
}

TEST(Tei, MultiLabelAnswersCarryEachLabelsDecision) {
  auto p = prediction();
  p.labels = {2};
  auto r = parse_predict_request(R"({"inputs": ["x"]})", 4);
  auto out = json::parse(render_predictions(r, {p}, kNames, true));
  for (const auto& e : out[0]) EXPECT_EQ(e["predicted"].get<bool>(), e["label"] == "c") << e;
  auto single = json::parse(render_predictions(r, {p}, kNames, false));
  EXPECT_FALSE(single[0][0].contains("predicted"));
}

TEST(Tei, TokenizeRequests) {
  auto r = parse_tokenize_request(R"({"inputs": ["a", "b"], "add_special_tokens": false})", 4);
  EXPECT_EQ(r.texts.size(), 2u);
  EXPECT_FALSE(r.add_special_tokens);
  EXPECT_TRUE(parse_tokenize_request(R"({"inputs": "a"})", 4).add_special_tokens);
  EXPECT_THROW(parse_tokenize_request(R"({"inputs": [1]})", 4), HttpError);
  EXPECT_THROW(parse_tokenize_request(R"({"inputs": ["a", "b", "c"]})", 2), HttpError);
}

}  // namespace
}  // namespace berth::serve
