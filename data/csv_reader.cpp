#include "data/csv_reader.h"

#include "common/error.h"

namespace berth::data {

namespace {
constexpr const char* kQuoteHint =
    "quote fields that contain commas or line breaks (\"a, b\") and double any quote inside a "
    "quoted field (\"say \"\"hi\"\"\"), as RFC 4180 and Python's csv module do";
}

CsvReader::CsvReader(const std::string& path, TextInput::ByteObserver observer)
    : TableReader(path, std::move(observer)) {
  long long line = 0;
  if (!read_record(columns_, line)) {
    throw data_error("data", path + " is empty: a CSV file needs a header row",
                     "add a first line naming the columns, e.g. text,label");
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (columns_[i] == columns_[j]) {
        throw data_error("data",
                         where(line) + ": the header names column '" + columns_[i] + "' twice",
                         "give every column a distinct name");
      }
    }
  }
}

bool CsvReader::read_record(std::vector<std::string>& fields, long long& start_line) {
  // Skip blank lines (LF, CRLF or a lone CR) before the record.
  for (;;) {
    int c = input_.peek();
    if (c == TextInput::kEof) return false;
    if (c != '\n' && c != '\r') break;
    input_.get();
  }
  start_line = input_.line();
  fields.assign(1, std::string());
  for (;;) {
    // At the start of a field.
    if (input_.peek() == '"') {
      long long quote_line = input_.line();
      input_.get();
      std::string& f = fields.back();
      for (;;) {
        int c = input_.get();
        if (c == TextInput::kEof) {
          throw data_error("data",
                           where(quote_line) +
                               ": a quoted field opened here is never closed "
                               "(end of file inside quotes)",
                           kQuoteHint);
        }
        if (c == '"') {
          if (input_.peek() == '"') {
            input_.get();
            f.push_back('"');
            continue;
          }
          break;
        }
        f.push_back(static_cast<char>(c));
      }
      // After the closing quote: a separator, the end of the record, or an error.
      int c = input_.get();
      if (c == ',') {
        fields.emplace_back();
        continue;
      }
      if (c == '\n' || c == TextInput::kEof) return true;
      if (c == '\r' && (input_.peek() == '\n' || input_.peek() == TextInput::kEof)) {
        if (input_.peek() == '\n') input_.get();
        return true;
      }
      throw data_error("data",
                       where(input_.line()) +
                           ": unexpected text after the closing quote of field " +
                           std::to_string(fields.size()) + " of the record starting on line " +
                           std::to_string(start_line),
                       kQuoteHint);
    }
    for (;;) {
      int c = input_.get();
      if (c == ',') {
        fields.emplace_back();
        break;
      }
      if (c == '\n' || c == TextInput::kEof) return true;
      if (c == '\r') {
        int n = input_.peek();
        if (n == '\n') {
          input_.get();
          return true;
        }
        if (n == TextInput::kEof) return true;
      }
      fields.back().push_back(static_cast<char>(c));
    }
  }
}

bool CsvReader::next(TableRow& row) {
  long long line = 0;
  if (!read_record(fields_, line)) return false;
  if (fields_.size() != columns_.size()) {
    throw data_error("data",
                     where(line) + ": record " + std::to_string(records_ + 1) + " has " +
                         std::to_string(fields_.size()) + " fields but the header has " +
                         std::to_string(columns_.size()),
                     kQuoteHint);
  }
  emit(row, fields_, line);
  return true;
}

}  // namespace berth::data
