// Plain text: every line is one example in a single column named "text" (unlabeled). There is
// no header. Line ends LF or CRLF, an optional UTF-8 BOM. Empty lines are records too (with
// empty text) so that record numbers equal line numbers; prep skips and counts them.
#pragma once

#include "data/table_reader.h"

namespace berth::data {

class TextLinesReader : public TableReader {
 public:
  TextLinesReader(const std::string& path, TextInput::ByteObserver observer = {});
  bool next(TableRow& row) override;

 private:
  std::string line_;
};

}  // namespace berth::data
