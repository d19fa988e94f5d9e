// Bytes -> each table reader (CSV, TSV, JSONL, plain text): every record is read or a
// berth::Error names what is wrong; nothing else (a crash, UB, a leak, another exception).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "data/table_reader.h"

namespace {

std::string temp_path(const char* ext) {
  return "/tmp/berth-fuzz-" + std::to_string(getpid()) + ext;
}

void read_all(const std::string& path, berth::data::TableFormat format) {
  try {
    berth::data::TableReadOptions o;
    o.format = format;
    auto reader = berth::data::open_table(path, o);
    berth::data::TableRow row;
    int64_t records = 0;
    while (reader->next(row)) {
      if (row.values.size() != reader->columns().size()) std::abort();
      if (++records > 1000000) break;
    }
  } catch (const berth::Error&) {
    // Malformed input must be reported this way (with file and line): that is the contract.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = temp_path(".in");
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  using berth::data::TableFormat;
  for (auto format :
       {TableFormat::kCsv, TableFormat::kTsv, TableFormat::kJsonl, TableFormat::kText})
    read_all(path, format);
  return 0;
}
