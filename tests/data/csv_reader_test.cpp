// CSV edge cases per RFC 4180, and the errors a malformed file must give (file, line, hint).
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "data/table_reader.h"
#include "tests/data/table_test_util.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

using test::TempDir;
using test::write_file;

TEST(CsvReader, PlainRowsWithRecordAndLineNumbers) {
  TempDir d;
  write_file(d / "a.csv", "text,label\nhello,pos\nworld,neg\n");
  auto r = open_table((d / "a.csv").string());
  EXPECT_EQ(r->columns(), (std::vector<std::string>{"text", "label"}));
  auto rows = read_all((d / "a.csv").string());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].values, (std::vector<std::string>{"hello", "pos"}));
  EXPECT_EQ(rows[0].record, 1);
  EXPECT_EQ(rows[0].line, 2);
  EXPECT_EQ(rows[1].record, 2);
  EXPECT_EQ(rows[1].line, 3);
}

TEST(CsvReader, QuotedCommasDoubledQuotesAndEmbeddedNewlines) {
  TempDir d;
  write_file(d / "a.csv",
             "text,label\n"
             "\"a, b\",1\n"
             "\"she said \"\"hi\"\"\",2\n"
             "\"two\nlines\",3\n"
             "after,4\n");
  auto rows = read_all((d / "a.csv").string());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].values[0], "a, b");
  EXPECT_EQ(rows[1].values[0], "she said \"hi\"");
  EXPECT_EQ(rows[2].values[0], "two\nlines");
  EXPECT_EQ(rows[2].line, 4);
  EXPECT_EQ(rows[3].values[0], "after");
  EXPECT_EQ(rows[3].line, 6);  // the embedded newline moved it down a line
  EXPECT_EQ(rows[3].record, 4);
}

TEST(CsvReader, BomCrlfEmptyFieldsAndNoFinalNewline) {
  TempDir d;
  write_file(d / "a.csv", "\xEF\xBB\xBFtext,label\r\nx,\r\n,y\r\n\"q\r\nr\",z\r\n\"\",\"\"");
  auto r = open_table((d / "a.csv").string());
  EXPECT_EQ(r->columns()[0], "text");  // BOM not part of the name
  auto rows = read_all((d / "a.csv").string(), {"label", "text"});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].values, (std::vector<std::string>{"", "x"}));
  EXPECT_EQ(rows[1].values, (std::vector<std::string>{"y", ""}));
  EXPECT_EQ(rows[2].values[1], "q\r\nr");  // line breaks inside quotes are data, kept as is
  EXPECT_EQ(rows[3].values, (std::vector<std::string>{"", ""}));
}

TEST(CsvReader, BlankLinesAreSkipped) {
  TempDir d;
  write_file(d / "a.csv", "text,label\n\na,1\n\r\n\nb,2\n\n");
  auto rows = read_all((d / "a.csv").string());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].values[0], "b");
  EXPECT_EQ(rows[1].line, 6);
  EXPECT_EQ(rows[1].record, 2);
}

TEST(CsvReader, RaggedRowNamesFileLineAndFix) {
  TempDir d;
  write_file(d / "bad.csv", "text,label\nok,1\nnot, quoted,2\n");
  std::string msg = error_of((d / "bad.csv").string());
  EXPECT_NE(msg.find("bad.csv:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 fields but the header has 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hint:"), std::string::npos) << msg;
}

TEST(CsvReader, UnterminatedQuoteNamesWhereItOpened) {
  TempDir d;
  write_file(d / "bad.csv", "text,label\nok,1\n\"never closed,2\nmore,3\n");
  std::string msg = error_of((d / "bad.csv").string());
  EXPECT_NE(msg.find("bad.csv:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("never closed"), std::string::npos) << msg;
}

TEST(CsvReader, TextAfterClosingQuoteIsAnError) {
  TempDir d;
  write_file(d / "bad.csv", "text,label\n\"a\"b,1\n");
  std::string msg = error_of((d / "bad.csv").string());
  EXPECT_NE(msg.find("after the closing quote"), std::string::npos) << msg;
}

TEST(CsvReader, MissingColumnListsTheColumns) {
  TempDir d;
  write_file(d / "a.csv", "sentence,label\nx,1\n");
  auto r = open_table((d / "a.csv").string());
  try {
    r->select({"text"});
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("no column 'text'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'sentence', 'label'"), std::string::npos) << msg;
  }
}

TEST(CsvReader, EmptyFileAndMissingFileAreClearErrors) {
  TempDir d;
  write_file(d / "empty.csv", "");
  try {
    open_table((d / "empty.csv").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("header"), std::string::npos) << e.what();
  }
  try {
    open_table((d / "nope.csv").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kData);
    EXPECT_NE(std::string(e.what()).find("nope.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST(CsvReader, StreamsLargeFilesAcrossBufferBoundaries) {
  // More than one 1 MiB read buffer, with quoted fields straddling the boundaries.
  TempDir d;
  std::string content = "text,label\n";
  const int n = 40000;
  for (int i = 0; i < n; ++i) content += "\"row " + std::to_string(i) + ", \"\"quoted\"\"\",1\n";
  write_file(d / "big.csv", content);
  auto rows = read_all((d / "big.csv").string());
  ASSERT_EQ(rows.size(), static_cast<size_t>(n));
  EXPECT_EQ(rows[n - 1].values[0], "row " + std::to_string(n - 1) + ", \"quoted\"");
  EXPECT_EQ(rows[n - 1].line, n + 1);
}

TEST(CsvReader, AFileThatGrowsAfterOpeningIsReadWhole) {
  // A small file gets a buffer of its size (a page at least): rows appended after open_table
  // (a file still being written) are read in many page-sized refills, quoted fields and
  // line counts straddling them.
  TempDir d;
  const auto path = (d / "growing.csv").string();
  write_file(path, "text,label\n\"first\",0\n");
  auto r = open_table(path);
  std::string more;
  const int n = 2000;
  for (int i = 0; i < n; ++i) more += "\"row " + std::to_string(i) + ",\n\"\"q\"\"\",1\n";
  {
    std::ofstream f(path, std::ios::app | std::ios::binary);
    f << more;
  }
  ASSERT_GT(more.size(), 8u * 4096u);
  std::vector<TableRow> rows;
  TableRow row;
  while (r->next(row)) rows.push_back(row);
  ASSERT_EQ(rows.size(), static_cast<size_t>(n + 1));
  EXPECT_EQ(rows[0].values[0], "first");
  EXPECT_EQ(rows[n].values[0], "row " + std::to_string(n - 1) + ",\n\"q\"");
  EXPECT_EQ(rows[n].line, 3 + 2 * (n - 1));  // each appended record spans two lines
}

}  // namespace
}  // namespace berth::data
