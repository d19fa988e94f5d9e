// The counters and histograms behind `GET /metrics`, rendered in Prometheus' text format
// (version 0.0.4). Thread-safe: request threads and the batch worker update them concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace berth::serve {

// A cumulative histogram with fixed upper bounds (plus +Inf), its sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  uint64_t count() const;
  // "<name>_bucket{<labels>,le=...} n" lines, then _sum and _count; `labels` is "" or
  // `key="value",...` (already escaped).
  void render(const std::string& name, std::string& out, const std::string& labels = "") const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // one per bound, +Inf last; not cumulative
  double sum_ = 0;
  uint64_t count_ = 0;
};

struct Metrics {
  Metrics();
  // Every answer the server sent, on any route and from any layer (a 413 the HTTP library gave
  // included), by route ("/predict", ..., "other" for unknown paths) and HTTP status, with its
  // latency (from its headers read to its answer).
  void count_answer(const std::string& route, int status, double seconds);
  std::string render() const;

  std::atomic<int64_t> inflight{0};  // /predict requests admitted and not yet answered
  std::atomic<int64_t> texts{0};     // texts predicted
  std::atomic<int64_t> batches{0};   // forward batches run
  Histogram batch_texts;             // texts per batch
  Histogram batch_tokens;            // padded tokens per batch
  Histogram queue_seconds;           // from queued to taken into a batch
  Histogram inference_seconds;       // one batch's forward pass

 private:
  mutable std::mutex mutex_;
  // By (route, status); unique_ptr: Histogram holds a mutex and cannot move.
  std::map<std::pair<std::string, int>, std::unique_ptr<Histogram>> answers_;
};

}  // namespace berth::serve
