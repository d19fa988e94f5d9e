// serve::split_by_length: the sub-batches one serve batch runs in.
#include "serve/batcher.h"

#include <gtest/gtest.h>

#include <set>

namespace berth::serve {
namespace {

std::vector<data::Example> of_lengths(const std::vector<size_t>& lengths) {
  std::vector<data::Example> out;
  for (size_t n : lengths) {
    data::Example e;
    e.input_ids.assign(n, 7);
    out.push_back(e);
  }
  return out;
}

TEST(SplitByLength, EveryExampleOnceLongestFirstWithinThePaddingBound) {
  const auto ex = of_lengths({5, 60, 7, 58, 30, 6, 31, 59, 12, 5});
  const double slack = 0.25;
  const auto parts = split_by_length(ex, slack);
  std::multiset<size_t> seen;
  size_t previous_longest = SIZE_MAX;
  for (const auto& part : parts) {
    ASSERT_FALSE(part.empty());
    size_t longest = 0, real = 0;
    for (size_t k = 0; k < part.size(); ++k) {
      const size_t len = ex[part[k]].input_ids.size();
      if (k > 0) EXPECT_LE(len, ex[part[k - 1]].input_ids.size());
      longest = std::max(longest, len);
      real += len;
      seen.insert(part[k]);
    }
    EXPECT_LE(longest, previous_longest);
    previous_longest = longest;
    EXPECT_LE(static_cast<double>(part.size() * longest), (1 + slack) * real);
  }
  EXPECT_EQ(seen.size(), ex.size());
  EXPECT_EQ(std::set<size_t>(seen.begin(), seen.end()).size(), ex.size());
  EXPECT_LT(parts.size(), ex.size());  // not one forward pass per text
}

TEST(SplitByLength, TwoClustersOfLengthsGiveTwoSubBatches) {
  // 60+59+58 pad to 180 of 177 real; adding a 6 would pad 240 for 183 (> 1.25x).
  const auto parts = split_by_length(of_lengths({5, 60, 6, 58, 59, 5, 6}), 0.25);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], (std::vector<size_t>{1, 4, 3}));
  EXPECT_EQ(parts[1], (std::vector<size_t>{2, 6, 0, 5}));
}

TEST(SplitByLength, EqualLengthsStayTogetherAndNoSlackMeansEqualLengthsOnly) {
  EXPECT_EQ(split_by_length(of_lengths({9, 9, 9, 9}), 0.0).size(), 1u);
  EXPECT_EQ(split_by_length(of_lengths({9, 8, 9, 8}), 0.0).size(), 2u);
  EXPECT_EQ(split_by_length(of_lengths({9, 8, 9, 8}), 1e9).size(), 1u);
  EXPECT_TRUE(split_by_length({}, 0.25).empty());
}

}  // namespace
}  // namespace berth::serve
