// metrics.jsonl: one JSON object a line, appended (a resumed or requeued run continues the same
// file, marked by a "start" record with its restart count). Written by rank 0 only.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace berth::trainer {

class MetricsLog {
 public:
  MetricsLog() = default;  // disabled (ranks other than 0)
  explicit MetricsLog(const std::string& path);
  // Adds "time" (Unix seconds) and writes the record; flushed so that a crash loses nothing.
  void write(nlohmann::json record);

 private:
  std::ofstream out_;
};

}  // namespace berth::trainer
