// Streaming readers for tabular training data: CSV (RFC 4180), TSV, JSON Lines and plain text
// (one example per line). All share this interface so that prep does not care about the format;
// rows stream one at a time, so memory does not grow with the file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/text_input.h"

namespace berth::data {

enum class TableFormat { kCsv, kTsv, kJsonl, kText };

// "csv", "tsv", "jsonl" (or "json"), "txt" (or "text"); throws berth::usage_error otherwise.
TableFormat parse_table_format(const std::string& name);
// From the extension (.csv, .tsv, .jsonl, .json, .txt; case-insensitive); usage_error otherwise.
TableFormat table_format_for_path(const std::string& path);
const char* table_format_name(TableFormat f);

struct TableRow {
  int64_t record = 0;  // 1-based data record number (the header is not a record)
  int64_t line = 0;    // 1-based line where the record starts in the file
  // The selected columns' values in select() order (all columns before select() is called).
  // A value that is absent (a JSON key missing or null) is the empty string.
  std::vector<std::string> values;
};

class TableReader {
 public:
  virtual ~TableReader() = default;

  // Column names: the header row (CSV/TSV), the keys of the first object (JSONL), {"text"} (txt).
  const std::vector<std::string>& columns() const { return columns_; }
  bool has_column(const std::string& name) const;

  // Restricts TableRow::values to these columns, in this order. Throws berth::data_error naming
  // the file and listing the columns that exist when one is missing.
  void select(const std::vector<std::string>& names);

  // Reads the next record into `row`; false at the end of the file. Throws berth::data_error
  // naming the file and line for malformed input.
  virtual bool next(TableRow& row) = 0;

  const std::string& path() const { return input_.path(); }
  long long bytes_read() const { return input_.bytes_read(); }

 protected:
  TableReader(const std::string& path, TextInput::ByteObserver observer)
      : input_(path, std::move(observer)) {}
  // "FILE:LINE" for messages.
  std::string where(long long line) const;
  // Numbers a complete record and moves its selected fields into `row` (emptying `fields`).
  void emit(TableRow& row, std::vector<std::string>& fields, long long line);

  TextInput input_;
  std::vector<std::string> columns_;
  std::vector<int> selected_;  // indices into columns_; empty until select()
  int64_t records_ = 0;
};

struct TableReadOptions {
  std::optional<TableFormat> format;  // default: from the file's extension
  TextInput::ByteObserver on_bytes;   // sees every raw chunk read (for hashing the source)
};

// Opens `path` and reads its header (or first record for JSONL). Throws berth::data_error when
// the file cannot be read or has no header, berth::usage_error for an unknown format.
std::unique_ptr<TableReader> open_table(const std::string& path,
                                        const TableReadOptions& options = {});

}  // namespace berth::data
