#include "data/table_reader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common/error.h"
#include "data/csv_reader.h"
#include "data/jsonl_reader.h"
#include "data/text_lines_reader.h"
#include "data/tsv_reader.h"

namespace berth::data {

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string join_quoted(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
  return s.empty() ? "(none)" : s;
}
}  // namespace

TableFormat parse_table_format(const std::string& name) {
  auto n = lower(name);
  if (n == "csv") return TableFormat::kCsv;
  if (n == "tsv") return TableFormat::kTsv;
  if (n == "jsonl" || n == "json") return TableFormat::kJsonl;
  if (n == "txt" || n == "text") return TableFormat::kText;
  throw usage_error("data", "unknown input format '" + name + "'",
                    "use one of csv, tsv, jsonl, txt");
}

TableFormat table_format_for_path(const std::string& path) {
  auto ext = lower(std::filesystem::path(path).extension().string());
  if (ext == ".csv") return TableFormat::kCsv;
  if (ext == ".tsv") return TableFormat::kTsv;
  if (ext == ".jsonl" || ext == ".json") return TableFormat::kJsonl;
  if (ext == ".txt") return TableFormat::kText;
  throw usage_error("data",
                    "cannot tell the format of " + path + " from its extension '" + ext + "'",
                    "rename it to .csv/.tsv/.jsonl/.txt or pass --format csv|tsv|jsonl|txt");
}

const char* table_format_name(TableFormat f) {
  switch (f) {
    case TableFormat::kCsv:
      return "csv";
    case TableFormat::kTsv:
      return "tsv";
    case TableFormat::kJsonl:
      return "jsonl";
    case TableFormat::kText:
      return "txt";
  }
  return "?";
}

bool TableReader::has_column(const std::string& name) const {
  return std::find(columns_.begin(), columns_.end(), name) != columns_.end();
}

void TableReader::select(const std::vector<std::string>& names) {
  std::vector<int> idx;
  for (const auto& name : names) {
    auto it = std::find(columns_.begin(), columns_.end(), name);
    if (it == columns_.end()) {
      throw data_error(
          "data", path() + ": no column '" + name + "'; the columns are " + join_quoted(columns_),
          "pick one of those with --text-column/--label-column/--text-pair-column, "
          "or fix the header row");
    }
    idx.push_back(static_cast<int>(it - columns_.begin()));
  }
  selected_ = std::move(idx);
}

std::string TableReader::where(long long line) const {
  return path() + ":" + std::to_string(line);
}

std::unique_ptr<TableReader> open_table(const std::string& path, const TableReadOptions& options) {
  TableFormat f = options.format ? *options.format : table_format_for_path(path);
  switch (f) {
    case TableFormat::kCsv:
      return std::make_unique<CsvReader>(path, options.on_bytes);
    case TableFormat::kTsv:
      return std::make_unique<TsvReader>(path, options.on_bytes);
    case TableFormat::kJsonl:
      return std::make_unique<JsonlReader>(path, options.on_bytes);
    case TableFormat::kText:
      return std::make_unique<TextLinesReader>(path, options.on_bytes);
  }
  throw usage_error("data", "unknown input format");
}

void TableReader::emit(TableRow& row, std::vector<std::string>& fields, long long line) {
  row.record = ++records_;
  row.line = line;
  if (selected_.empty()) {
    row.values.swap(fields);
  } else {
    row.values.resize(selected_.size());
    for (size_t i = 0; i < selected_.size(); ++i) row.values[i].swap(fields[selected_[i]]);
  }
}

}  // namespace berth::data
