#include "serve/metrics.h"

#include <cstdio>

namespace berth::serve {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::vector<double> latency_bounds() {
  return {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_[i];
  sum_ += v;
  ++count_;
}

uint64_t Histogram::count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return count_;
}

void Histogram::render(const std::string& name, std::string& out, const std::string& labels) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string with = labels.empty() ? "" : labels + ",";
  const std::string only = labels.empty() ? "" : "{" + labels + "}";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out += name + "_bucket{" + with + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum" + only + " " + number(sum_) + "\n";
  out += name + "_count" + only + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : batch_texts({1, 2, 4, 8, 16, 32, 64, 128, 256}),
      batch_tokens({64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768}),
      queue_seconds(latency_bounds()),
      inference_seconds(latency_bounds()) {}

void Metrics::count_answer(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& h = answers_[{route, status}];
  if (!h) h = std::make_unique<Histogram>(latency_bounds());
  h->observe(seconds);
}

std::string Metrics::render() const {
  std::string out;
  auto head = [&](const std::string& name, const std::string& type, const std::string& help) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  // Routes are a closed set (the server maps other paths to "other"): no label escaping needed
  // and no unbounded series.
  auto labels = [](const std::pair<std::string, int>& key) {
    return "route=\"" + key.first + "\",code=\"" + std::to_string(key.second) + "\"";
  };
  {
    std::lock_guard<std::mutex> lock(mutex_);
    head("berth_requests_total", "counter", "Answered HTTP requests by route and status.");
    for (const auto& [key, h] : answers_)
      out += "berth_requests_total{" + labels(key) + "} " + std::to_string(h->count()) + "\n";
    head("berth_request_duration_seconds", "histogram",
         "HTTP request latency by route and status, headers read to answer.");
    for (const auto& [key, h] : answers_)
      h->render("berth_request_duration_seconds", out, labels(key));
  }
  head("berth_requests_in_flight", "gauge", "/predict requests admitted and not yet answered.");
  out += "berth_requests_in_flight " + std::to_string(inflight.load()) + "\n";
  head("berth_texts_total", "counter", "Texts predicted.");
  out += "berth_texts_total " + std::to_string(texts.load()) + "\n";
  head("berth_batches_total", "counter", "Forward batches run.");
  out += "berth_batches_total " + std::to_string(batches.load()) + "\n";
  head("berth_batch_texts", "histogram", "Texts per forward batch.");
  batch_texts.render("berth_batch_texts", out);
  head("berth_batch_tokens", "histogram", "Padded tokens per forward batch.");
  batch_tokens.render("berth_batch_tokens", out);
  head("berth_queue_seconds", "histogram", "Time a request waited before its batch started.");
  queue_seconds.render("berth_queue_seconds", out);
  head("berth_inference_seconds", "histogram", "Time of one batch's forward pass.");
  inference_seconds.render("berth_inference_seconds", out);
  return out;
}

}  // namespace berth::serve
