#include "common/short_list.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

std::vector<std::string> names(size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) v.push_back("l" + std::to_string(i));
  return v;
}

TEST(ShortList, ShortListsWhole) {
  EXPECT_EQ(short_list({}), "");
  EXPECT_EQ(short_list({"neg", "pos"}), "neg, pos");
  EXPECT_EQ(short_list(names(5), 3), "l0, l1, l2, l3, l4");  // 2 over: printed, not "2 more"
}

TEST(ShortList, LongListsCutAfterTheHead) {
  EXPECT_EQ(short_list(names(6), 3), "l0, l1, l2, ... (3 more)");
  EXPECT_EQ(short_list(names(134)),
            "l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, ... (122 more)");
  EXPECT_EQ(short_list(names(3), 0), "... (3 more)");
}

}  // namespace
}  // namespace berth
