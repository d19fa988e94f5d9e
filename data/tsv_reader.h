// TSV: a header row, then one record per line, fields separated by tabs. No quote processing at
// all (a '"' is an ordinary character), so a field cannot contain a tab or a line break; use CSV
// or JSONL for such text. LF or CRLF line ends, an optional UTF-8 BOM, blank lines skipped.
#pragma once

#include "data/table_reader.h"

namespace berth::data {

class TsvReader : public TableReader {
 public:
  TsvReader(const std::string& path, TextInput::ByteObserver observer = {});
  bool next(TableRow& row) override;

 private:
  std::string line_;
  std::vector<std::string> fields_;
};

}  // namespace berth::data
