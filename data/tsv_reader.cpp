#include "data/tsv_reader.h"

#include "common/error.h"

namespace berth::data {

namespace {
void split_tabs(const std::string& line, std::vector<std::string>& out) {
  out.clear();
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    if (tab == std::string::npos) {
      out.emplace_back(line, start);
      return;
    }
    out.emplace_back(line, start, tab - start);
    start = tab + 1;
  }
}
}  // namespace

TsvReader::TsvReader(const std::string& path, TextInput::ByteObserver observer)
    : TableReader(path, std::move(observer)) {
  while (input_.read_line(line_)) {
    if (line_.empty()) continue;
    split_tabs(line_, columns_);
    return;
  }
  throw data_error("data", path + " is empty: a TSV file needs a header row",
                   "add a first line naming the columns, separated by tabs (text<TAB>label)");
}

bool TsvReader::next(TableRow& row) {
  long long line = 0;
  do {
    line = input_.line();
    if (!input_.read_line(line_)) return false;
  } while (line_.empty());
  split_tabs(line_, fields_);
  if (fields_.size() != columns_.size()) {
    throw data_error("data",
                     where(line) + ": record " + std::to_string(records_ + 1) + " has " +
                         std::to_string(fields_.size()) +
                         " tab-separated fields but the header has " +
                         std::to_string(columns_.size()),
                     "TSV has no quoting: a field cannot contain a tab or a line break; convert "
                     "the file to CSV (quoted fields) or JSONL");
  }
  emit(row, fields_, line);
  return true;
}

}  // namespace berth::data
