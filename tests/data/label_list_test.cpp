// Label lists of multi-label cells: JSON arrays (JSONL) and separated CSV/TSV cells.
#include "data/label_list.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace berth::data {
namespace {

using V = std::vector<std::string>;

TEST(LabelList, SeparatedCellsAreTrimmedDedupedAndKeepTheirOrder) {
  LabelListFormat pipe;
  EXPECT_EQ(split_label_list("bug|ui", pipe, "f:1"), (V{"bug", "ui"}));
  EXPECT_EQ(split_label_list(" ui | bug |ui|", pipe, "f:1"), (V{"ui", "bug"}));
  EXPECT_EQ(split_label_list("|", pipe, "f:1"), V{});
  EXPECT_EQ(split_label_list("role::program", LabelListFormat{"::", false}, "f:1"),
            (V{"role", "program"}));
  // Without json_arrays (CSV), brackets are text.
  EXPECT_EQ(split_label_list("[a]", pipe, "f:1"), V{"[a]"});
}

TEST(LabelList, JsonArraysInJsonl) {
  LabelListFormat jsonl{"|", true};
  EXPECT_EQ(split_label_list("[\"a|b\", \" c \", 3, \"c\"]", jsonl, "f:1"), (V{"a|b", "c", "3"}));
  EXPECT_EQ(split_label_list("[]", jsonl, "f:1"), V{});
  EXPECT_EQ(split_label_list("x|y", jsonl, "f:1"), (V{"x", "y"}));  // a plain JSONL string
  try {
    split_label_list("[\"a\", {\"b\": 1}]", jsonl, "in.jsonl:7");
    FAIL() << "an object inside the list was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("in.jsonl:7"), std::string::npos) << e.what();
  }
  EXPECT_THROW(split_label_list("[\"a\"", jsonl, "f:1"), Error);
}

}  // namespace
}  // namespace berth::data
