// CSV per RFC 4180: comma-separated, fields optionally in double quotes; inside quotes commas,
// line breaks and doubled quotes ("") are data. A header row is required. LF or CRLF line ends,
// an optional UTF-8 BOM. Blank lines between records are skipped (as Python's csv.DictReader).
// Lenient where RFC 4180 is silent and other tools agree: a '"' in the middle of an unquoted
// field is kept as a literal quote. Strict where silence would corrupt data: a record with a
// different number of fields than the header, text after a closing quote, or a quote left open
// at the end of the file are errors naming the line.
#pragma once

#include "data/table_reader.h"

namespace berth::data {

class CsvReader : public TableReader {
 public:
  CsvReader(const std::string& path, TextInput::ByteObserver observer = {});
  bool next(TableRow& row) override;

 private:
  // Reads one record's fields; false at end of input. Sets `start_line`.
  bool read_record(std::vector<std::string>& fields, long long& start_line);

  std::vector<std::string> fields_;
};

}  // namespace berth::data
