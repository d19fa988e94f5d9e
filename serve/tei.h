// The request and response bodies of `POST /predict`, in the shapes of Hugging Face's
// text-embeddings-inference (TEI) so that its clients work unchanged:
//   request:  {"inputs": "text"} | {"inputs": ["text", ...]} | {"inputs": [["text", "pair"], ...]}
//             optional "raw_scores": bool (logits instead of probabilities), "truncate": bool
//             (cut texts longer than the max length instead of refusing them)
//   response: one input  -> [{"score": s, "label": "name"}, ...] (every class, best first)
//             a list     -> one such list per input, in order
// One difference from TEI: there, a list of exactly two strings is read as one text pair; here
// a list of strings is always a batch of single texts and pairs are written [["a", "b"]].
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/predictor.h"

namespace berth::serve {

struct PredictRequest {
  std::vector<std::string> texts;
  std::vector<std::string> pairs;  // empty, or one per text
  bool batch = false;              // "inputs" was a list: answer a list of lists
  bool raw_scores = false;
  bool truncate = false;
};

// An error to answer with `status` and {"error": message, "error_type": type}.
struct HttpError {
  int status;
  std::string type;  // TEI's error_type: "Validation", "Overloaded", "Unhealthy", "Backend"
  std::string message;
};

// Parses a request body; throws HttpError (400 for malformed JSON, 422 for a wrong shape or an
// empty input, 413 for more than max_inputs texts).
PredictRequest parse_predict_request(const std::string& body, size_t max_inputs);

// The response body for the predictions of a request, in the request's order.
std::string render_predictions(const PredictRequest& request,
                               const std::vector<model::Prediction>& predictions,
                               const std::vector<std::string>& label_names);

std::string render_error(const HttpError& e);

}  // namespace berth::serve
