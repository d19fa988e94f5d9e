// JSON Lines: one JSON object per line; blank lines are skipped. The columns are the keys of the
// first object; a later object may lack a key or hold null (the value is then empty, which prep
// treats as a missing value). Strings are taken as they are; numbers and booleans become their
// JSON text (3 -> "3", 2.5 -> "2.5", true -> "true"), so numeric labels work; arrays and objects
// as values are errors. A line that is not a JSON object is an error naming the file and line.
#pragma once

#include "data/table_reader.h"

namespace berth::data {

class JsonlReader : public TableReader {
 public:
  JsonlReader(const std::string& path, TextInput::ByteObserver observer = {});
  bool next(TableRow& row) override;

 private:
  // Reads the next non-blank line into line_; false at end of input.
  bool next_line(long long& line);

  std::string line_;
  // The first object is read in the constructor for its keys and returned by the first next().
  bool have_pending_ = false;
  std::string pending_line_;
  long long pending_lineno_ = 0;
};

}  // namespace berth::data
