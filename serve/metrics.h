// The counters and histograms behind `GET /metrics`, rendered in Prometheus' text format
// (version 0.0.4). Thread-safe: request threads and the batch worker update them concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace berth::serve {

// A cumulative histogram with fixed upper bounds (plus +Inf), its sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // "<name>_bucket{le=...} n" lines, then _sum and _count.
  void render(const std::string& name, std::string& out) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // one per bound, +Inf last; not cumulative
  double sum_ = 0;
  uint64_t count_ = 0;
};

struct Metrics {
  Metrics();
  // Answered /predict requests by HTTP status.
  void count_response(int status);
  std::string render() const;

  std::atomic<int64_t> inflight{0};  // /predict requests admitted and not yet answered
  std::atomic<int64_t> texts{0};     // texts predicted
  std::atomic<int64_t> batches{0};   // forward batches run
  Histogram batch_texts;             // texts per batch
  Histogram batch_tokens;            // padded tokens per batch
  Histogram queue_seconds;           // from queued to taken into a batch
  Histogram inference_seconds;       // one batch's forward pass
  Histogram request_seconds;         // a /predict request, arrival to answer

 private:
  mutable std::mutex mutex_;
  std::map<int, int64_t> responses_;
};

}  // namespace berth::serve
