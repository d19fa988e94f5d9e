// `berth serve`: a fine-tuned classifier behind HTTP/1.1 + JSON (cpp-httplib).
//   POST /predict       TEI's request/response shapes (serve/tei.h), dynamically batched
//                       (serve/batcher.h)
//   POST /              the Inference API's shapes (huggingface_hub's InferenceClient)
//   POST /tokenize      TEI's
//   GET  /health        200 when ready, 503 while draining; never needs the API key
//   GET  /info          model, labels, limits, version
//   GET  /metrics       Prometheus text (serve/metrics.h): every answer by route and status
//   GET  /openapi.json  the OpenAPI document (serve/openapi.h)
// A known path with another method answers 405 with Allow. With an API key every route but
// /health needs it as a bearer token (serve/api_key.h), checked before the body is read.
// Bodies of any content type are read up to max_body_bytes (413 beyond).
// Admission: beyond max_concurrent_requests the classification routes answer 429 at once rather
// than queueing without bound. SIGTERM or SIGINT drains: the listening socket closes, requests
// already admitted are answered, then run() returns.
#pragma once

#include <cstdint>
#include <string>

#include "model/predictor.h"
#include "serve/batcher.h"

namespace berth::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;        // 0: any free port (see port_file)
  std::string port_file;  // written with the bound port once listening ("" = none)
  int max_concurrent_requests = 512;
  size_t max_client_batch_size = 32;  // texts per request
  size_t max_body_bytes = 1 << 20;    // larger bodies answer 413
  std::string api_key;                // "" = no authentication
  BatchOptions batch;
};

// Blocks SIGTERM and SIGINT in the calling thread and so in every thread it starts later; call
// first thing, before the model's thread pool exists, so that run() alone takes the signals.
void block_stop_signals();

// Serves until SIGTERM/SIGINT, then drains. Throws berth::Error when it cannot listen, naming
// the bad --host or the port in use. Texts are cut by model_options.truncation unless a request
// names its truncation_direction.
void run(model::Predictor& predictor, const model::PredictorOptions& model_options,
         const ServeOptions& options);

}  // namespace berth::serve
