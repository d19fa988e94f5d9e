// `berth serve`: a fine-tuned classifier behind HTTP/1.1 + JSON (cpp-httplib).
//   POST /predict  TEI's request/response shapes (serve/tei.h), dynamically batched
//                  (serve/batcher.h)
//   GET  /health   200 when ready, 503 while draining
//   GET  /info     model, labels, limits, version
//   GET  /metrics  Prometheus text (serve/metrics.h)
// Admission: beyond max_concurrent_requests /predict answers 429 at once rather than queueing
// without bound. SIGTERM or SIGINT drains: the listening socket closes, requests already
// admitted are answered, then run() returns.
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
  BatchOptions batch;
};

// Blocks SIGTERM and SIGINT in the calling thread and so in every thread it starts later; call
// first thing, before the model's thread pool exists, so that run() alone takes the signals.
void block_stop_signals();

// Serves until SIGTERM/SIGINT, then drains. Throws berth::Error when it cannot listen.
void run(model::Predictor& predictor, const model::PredictorOptions& model_options,
         const ServeOptions& options);

}  // namespace berth::serve
