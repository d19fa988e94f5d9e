// Reading whole tables in the reader tests (CSV, TSV, JSONL, TXT).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "data/table_reader.h"

namespace berth::data {

inline std::vector<TableRow> read_all(const std::string& path, std::vector<std::string> select = {},
                                      TableReadOptions options = {}) {
  auto r = open_table(path, options);
  if (!select.empty()) r->select(select);
  std::vector<TableRow> rows;
  TableRow row;
  while (r->next(row)) rows.push_back(row);
  return rows;
}

// The message of the error that reading `path` must raise, checked to carry the data exit code.
inline std::string error_of(const std::string& path) {
  try {
    read_all(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kData) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for " << path;
  return {};
}

}  // namespace berth::data
