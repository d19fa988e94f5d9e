// common/closest_name: the suggestion behind "unknown command 'trian'; did you mean 'train'?".
#include "common/closest_name.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

const std::vector<std::string> kCommands = {"tokenize", "prep", "train", "checkpoint",
                                            "predict",  "eval", "serve", "report"};

TEST(ClosestName, SuggestsTheNearestCommand) {
  EXPECT_EQ(closest_name("trian", kCommands), "train");  // a transposition: 2 edits
  EXPECT_EQ(closest_name("predcit", kCommands), "predict");
  EXPECT_EQ(closest_name("evl", kCommands), "eval");
  EXPECT_EQ(closest_name("Train", kCommands), "train");
}

TEST(ClosestName, NothingWhenNothingIsClose) {
  EXPECT_EQ(closest_name("fit", kCommands), std::nullopt);
  EXPECT_EQ(closest_name(std::string(5000, 'x'), kCommands), std::nullopt);
  EXPECT_EQ(closest_name("train", {}), std::nullopt);
}

TEST(ClosestName, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace berth
