// The request and response bodies of the classification routes, in the shapes real clients
// send and read, so that they work unchanged:
//   POST /predict   text-embeddings-inference (TEI):
//     request:  {"inputs": "text" | ["text", ...] | [["text", "pair"], ...]}, optional
//               "raw_scores": bool (logits), "truncate": bool (cut texts longer than the max
//               length instead of refusing them), "truncation_direction": "Right" (keep the
//               start) | "Left" (keep the end); default: the checkpoint's data.truncation
//     response: one input  -> [{"score": s, "label": "name"}, ...] (every class, best first)
//               a list     -> one such list per input, in order
//   POST /          the Hugging Face Inference API's text-classification shape, as
//                   huggingface_hub's InferenceClient.text_classification sends and reads it:
//     request:  TEI's, plus "parameters": {"top_k": n, "function_to_apply":
//               "softmax" | "sigmoid" | "none"}
//     response: always one list per input ([[{"label": ..., "score": ...}, ...]]), top_k best
//   POST /tokenize  TEI's: {"inputs": "text" | ["text", ...], "add_special_tokens": bool}
//     response: one list per input of {"id", "text", "special", "start", "stop"} (no offsets:
//               start and stop are null)
// Scores: single-label models answer softmax, multi-label ones sigmoid per label with
// "predicted": whether the label is at or over its tuned threshold (thresholds.json, else
// 0.5); raw_scores or function_to_apply "none" answer the logits.
// One difference from TEI: there, a list of exactly two strings is read as one text pair; here
// a list of strings is always a batch of single texts and pairs are written [["a", "b"]].
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/choices.h"
#include "model/predictor.h"

namespace berth::data {
class Tokenizer;
}

namespace berth::serve {

// Which route's shapes a request uses.
enum class ApiShape { kTei, kInferenceApi };

// How scores are made from the logits (function_to_apply; raw_scores is kNone).
enum class ScoreFunction { kModelDefault, kSoftmax, kSigmoid, kNone };

struct PredictRequest {
  ApiShape shape = ApiShape::kTei;
  std::vector<std::string> texts;
  std::vector<std::string> pairs;  // empty, or one per text
  bool batch = false;              // "inputs" was a list: answer a list of lists
  ScoreFunction scores = ScoreFunction::kModelDefault;
  bool truncate = false;
  std::optional<Truncation> direction;  // truncation_direction; nullopt: the checkpoint's rule
  size_t top_k = 0;                     // 0: every class
};

struct TokenizeRequest {
  std::vector<std::string> texts;
  bool add_special_tokens = true;
};

// An error to answer with `status` and {"error": message, "error_type": type}.
struct HttpError {
  int status;
  std::string type;  // TEI's error_type: "Validation", "Overloaded", "Unhealthy", "Backend"
  std::string message;
};

// Parses a request body; throws HttpError (400 for malformed JSON, 422 for a wrong shape or an
// empty input, 413 for more than max_inputs texts).
PredictRequest parse_predict_request(const std::string& body, size_t max_inputs,
                                     ApiShape shape = ApiShape::kTei);
TokenizeRequest parse_tokenize_request(const std::string& body, size_t max_inputs);

// The response body for the predictions of a request, in the request's order. A multi-label
// model's answers carry each label's decision (Prediction::labels).
std::string render_predictions(const PredictRequest& request,
                               const std::vector<model::Prediction>& predictions,
                               const std::vector<std::string>& label_names, bool multi_label);

std::string render_tokens(const TokenizeRequest& request, const data::Tokenizer& tokenizer);

std::string render_error(const HttpError& e);

}  // namespace berth::serve
