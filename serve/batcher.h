// Dynamic batching for `berth serve`: request threads queue their tokenized examples; one thread
// (the server's main thread, see run()) owns the Predictor and runs them in shared forward passes.
//
// When the model is free the worker takes queued requests in arrival order until the padded
// token budget (texts x longest text) or the request limit is reached. It waits (at most
// max_wait) for more only while other requests have been admitted but are still being
// tokenized, i.e. are about to arrive: a lone client never waits, and under load the requests
// that arrive during a forward pass form the next batch. A request's predictions do not depend
// on its batch beyond float rounding (padding is masked).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "data/corpus_example.h"
#include "model/predictor.h"
#include "serve/metrics.h"

namespace berth::serve {

struct BatchOptions {
  int64_t max_batch_tokens = 16384;  // padded tokens per forward batch
  int max_batch_requests = 64;       // requests per forward batch
  std::chrono::microseconds max_wait{2000};
  // A batch's texts run in length-sorted sub-batches whose padded tokens exceed their real
  // tokens by at most this fraction: under load one batch mixes 5- and 60-token texts, and
  // padding them all to 60 doubled the work measured on SST-2 (bench/serve_load.sh).
  double max_padding = 0.25;
};

// Padded tokens of a set of examples: count x longest.
int64_t padded_tokens(const std::vector<data::Example>& examples);

// Splits the examples into sub-batches of similar length: indices into `examples`, longest
// first, each sub-batch's count x longest at most (1 + max_padding) x its real tokens
// (a lone example always forms one).
std::vector<std::vector<size_t>> split_by_length(const std::vector<data::Example>& examples,
                                                 double max_padding);

class Batcher {
 public:
  Batcher(model::Predictor& predictor, BatchOptions options, Metrics& metrics);
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Announce a request that will submit soon (it is being parsed and tokenized); pair with
  // submit() or withdraw().
  void announce();
  void withdraw();
  // Queues the examples of one announced request and blocks until their predictions are ready
  // (in order). Rethrows the error of a failed batch.
  std::vector<model::Prediction> submit(std::vector<data::Example> examples);
  // Runs batches on the calling thread until stop() and the queue is empty. berth serve calls it
  // from the thread that loaded the model: with 2 OpenMP threads, a batch-1 forward pass issued
  // from a second thread measured 20-40 % slower than from the initial thread (libgomp's team
  // of a non-initial thread; bench/predict_latency.cpp, BERTH_LATENCY_ON_THREAD=1).
  void run();
  // Lets run() return once what is queued has run. Later submits throw.
  void stop();

 private:
  struct Job {
    std::vector<data::Example> examples;
    int64_t longest = 0;
    std::chrono::steady_clock::time_point queued;
    std::promise<std::vector<model::Prediction>> result;
  };
  void run_batch(std::vector<Job>& jobs);

  model::Predictor& predictor_;
  BatchOptions options_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  int64_t announced_ = 0;  // announced and not yet queued or withdrawn
  bool stopping_ = false;
};

}  // namespace berth::serve
