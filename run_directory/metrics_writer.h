// metrics.jsonl's writer: one record a line, appended (a resumed or requeued run continues the
// same file, marked by a resume record with its restart count). Written by rank 0 only.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "run_directory/record.h"

namespace berth::run_directory {

class MetricsWriter {
 public:
  MetricsWriter() = default;  // disabled (ranks other than 0)
  explicit MetricsWriter(const std::filesystem::path& path);

  // Writes `fields` with the type, step, schema version and time (Unix seconds) added; flushed so
  // that a crash loses nothing.
  void write(RecordType type, int64_t step, nlohmann::json fields = nlohmann::json::object());

  // Also hands every record written to `sink`: other views of the same values, such as
  // TensorBoard's, never derive them a second time.
  using Sink = std::function<void(const Record&)>;
  void add_sink(Sink sink) { sinks_.push_back(std::move(sink)); }

 private:
  std::ofstream out_;
  std::vector<Sink> sinks_;
};

}  // namespace berth::run_directory
