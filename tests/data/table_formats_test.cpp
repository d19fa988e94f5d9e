// TSV, JSON Lines and plain text readers, and format selection by extension.
#include <gtest/gtest.h>

#include "common/error.h"
#include "data/table_reader.h"
#include "tests/data/table_test_util.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

using test::TempDir;
using test::write_file;

TEST(TableFormat, ByExtensionOrExplicit) {
  EXPECT_EQ(table_format_for_path("a/b.CSV"), TableFormat::kCsv);
  EXPECT_EQ(table_format_for_path("x.tsv"), TableFormat::kTsv);
  EXPECT_EQ(table_format_for_path("x.jsonl"), TableFormat::kJsonl);
  EXPECT_EQ(table_format_for_path("x.json"), TableFormat::kJsonl);
  EXPECT_EQ(table_format_for_path("x.txt"), TableFormat::kText);
  EXPECT_THROW(table_format_for_path("x.parquet"), Error);
  EXPECT_EQ(parse_table_format("tsv"), TableFormat::kTsv);
  EXPECT_THROW(parse_table_format("xml"), Error);
  TempDir d;
  write_file(d / "data.dat", "a\tb\n1\t2\n");
  TableReadOptions o;
  o.format = TableFormat::kTsv;
  auto rows = read_all((d / "data.dat").string(), {"b"}, o);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].values[0], "2");
}

TEST(TsvReader, TabsNoQuoteProcessingCrlf) {
  TempDir d;
  write_file(d / "a.tsv", "\xEF\xBB\xBFtext\tlabel\r\n\"quoted\" stays, as is\tpos\r\n\r\nb\t\r\n");
  auto rows = read_all((d / "a.tsv").string());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].values[0], "\"quoted\" stays, as is");
  EXPECT_EQ(rows[0].values[1], "pos");
  EXPECT_EQ(rows[1].values[1], "");
  EXPECT_EQ(rows[1].line, 4);
  EXPECT_EQ(rows[1].record, 2);
}

TEST(TsvReader, WrongFieldCountNamesLine) {
  TempDir d;
  write_file(d / "a.tsv", "text\tlabel\na\t1\nb\t2\textra\n");
  std::string msg = error_of((d / "a.tsv").string());
  EXPECT_NE(msg.find("a.tsv:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 tab-separated fields"), std::string::npos) << msg;
}

TEST(JsonlReader, NumericLabelsBlankLinesMissingKeys) {
  TempDir d;
  write_file(d / "a.jsonl",
             "{\"text\": \"caf\\u00e9\", \"label\": 3}\n"
             "\n"
             "   \n"
             "{\"label\": \"neg\", \"text\": \"b\"}\r\n"
             "{\"text\": \"c\"}\n"
             "{\"text\": \"d\", \"label\": null}\n"
             "{\"text\": \"e\", \"label\": 2.5}\n");
  auto r = open_table((d / "a.jsonl").string());
  EXPECT_EQ(r->columns(), (std::vector<std::string>{"text", "label"}));
  auto rows = read_all((d / "a.jsonl").string(), {"text", "label"});
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].values, (std::vector<std::string>{"caf\xC3\xA9", "3"}));
  EXPECT_EQ(rows[1].values, (std::vector<std::string>{"b", "neg"}));
  EXPECT_EQ(rows[1].line, 4);
  EXPECT_EQ(rows[1].record, 2);
  EXPECT_EQ(rows[2].values[1], "");
  EXPECT_EQ(rows[3].values[1], "");
  EXPECT_EQ(rows[4].values[1], "2.5");
}

TEST(JsonlReader, BadJsonNamesFileAndLine) {
  TempDir d;
  write_file(d / "a.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", label: 2}\n");
  std::string msg = error_of((d / "a.jsonl").string());
  EXPECT_NE(msg.find("a.jsonl:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
  write_file(d / "b.jsonl", "{\"text\": \"a\"}\n[1, 2]\n");
  msg = error_of((d / "b.jsonl").string());
  EXPECT_NE(msg.find("b.jsonl:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected a JSON object"), std::string::npos) << msg;
}

TEST(JsonlReader, AnOverflowingNumberIsADataErrorNotACrash) {
  // nlohmann throws out_of_range, not parse_error, for a number past double's range: found by
  // fuzz_table_readers (it escaped the reader as an internal error).
  TempDir d;
  write_file(d / "a.jsonl",
             "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": 1e9999}\n");
  std::string msg = error_of((d / "a.jsonl").string());
  EXPECT_NE(msg.find("a.jsonl:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
  write_file(d / "b.jsonl", "999999999999999e99999999\n");  // the fuzzer's input: the first line
  msg = error_of((d / "b.jsonl").string());
  EXPECT_NE(msg.find("b.jsonl:1"), std::string::npos) << msg;
}

TEST(JsonlReader, MissingColumnListsFirstObjectsKeys) {
  TempDir d;
  write_file(d / "a.jsonl", "{\"sentence\": \"a\", \"y\": 1}\n");
  auto r = open_table((d / "a.jsonl").string());
  try {
    r->select({"text"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'sentence', 'y'"), std::string::npos) << e.what();
  }
}

TEST(TextLinesReader, OneTextPerLine) {
  TempDir d;
  write_file(d / "a.txt", "first line\r\n\nthird, with \"quotes\"\n");
  auto r = open_table((d / "a.txt").string());
  EXPECT_EQ(r->columns(), (std::vector<std::string>{"text"}));
  auto rows = read_all((d / "a.txt").string(), {"text"});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].values[0], "first line");
  EXPECT_EQ(rows[1].values[0], "");
  EXPECT_EQ(rows[2].values[0], "third, with \"quotes\"");
  EXPECT_EQ(rows[2].line, 3);
  EXPECT_EQ(rows[2].record, 3);
}

}  // namespace
}  // namespace berth::data
