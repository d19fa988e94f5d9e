// metrics.jsonl's reader: every view of a run (TensorBoard, `berth report`, the scheduler's
// stop-cost check) reads the records through it, typed, in file order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "run_directory/record.h"

namespace berth::run_directory {

struct MetricsFile {
  std::vector<Record> records;  // in file order
  int64_t bad_lines = 0;        // lines that are not a record (a torn last line after a crash)
};

// Calls `each` for every record of the file, in order; returns the number of lines skipped
// (not JSON, or of an unknown type). A missing file is no record (returns 0): callers that need
// one say so themselves, naming their own flag.
int64_t for_each_record(const std::filesystem::path& path,
                        const std::function<void(const Record&)>& each);

// The whole file; throws berth::Error (data, naming `component`) when it cannot be read.
MetricsFile read_metrics(const std::filesystem::path& path, const std::string& component);

}  // namespace berth::run_directory
