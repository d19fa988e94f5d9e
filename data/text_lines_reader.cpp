#include "data/text_lines_reader.h"

namespace berth::data {

TextLinesReader::TextLinesReader(const std::string& path, TextInput::ByteObserver observer)
    : TableReader(path, std::move(observer)) {
  columns_ = {"text"};
}

bool TextLinesReader::next(TableRow& row) {
  long long line = input_.line();
  if (!input_.read_line(line_)) return false;
  row.record = ++records_;
  row.line = line;
  // Only one column exists, so any valid selection is {"text"} (possibly repeated).
  size_t n = selected_.empty() ? 1 : selected_.size();
  row.values.resize(n);
  for (size_t i = 0; i + 1 < n; ++i) row.values[i] = line_;
  row.values[n - 1].swap(line_);
  return true;
}

}  // namespace berth::data
