// metrics.jsonl: one JSON object a line, appended (a resumed or requeued run continues the same
// file, marked by a "start" record with its restart count). Written by rank 0 only.
#pragma once

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::trainer {

class MetricsLog {
 public:
  MetricsLog() = default;  // disabled (ranks other than 0)
  explicit MetricsLog(const std::string& path);
  // Adds "time" (Unix seconds) and writes the record; flushed so that a crash loses nothing.
  void write(nlohmann::json record);
  // Also hands every record written (with its "time") to `sink`: other views of the same
  // values, such as TensorBoard's, never derive them a second time.
  using Sink = std::function<void(const nlohmann::json&)>;
  void add_sink(Sink sink) { sinks_.push_back(std::move(sink)); }

 private:
  std::ofstream out_;
  std::vector<Sink> sinks_;
};

}  // namespace berth::trainer
