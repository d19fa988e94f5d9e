#include "trainer/epoch_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>

namespace berth::trainer {
namespace {

std::vector<int32_t> lengths(int n) {
  std::vector<int32_t> l(n);
  for (int i = 0; i < n; ++i) l[i] = 5 + (i * 37) % 60;
  return l;
}

TEST(EpochPlan, IsAPermutationThatDependsOnSeedAndEpoch) {
  auto l = lengths(1000);
  EpochPlanOptions o{16, 7, true, 10};
  EpochPlan a(l, 0, o), b(l, 0, o), c(l, 1, o);
  auto sorted = a.order();
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expect(1000);
  std::iota(expect.begin(), expect.end(), 0);
  EXPECT_EQ(sorted, expect);
  EXPECT_EQ(a.order(), b.order());
  EXPECT_NE(a.order(), c.order());
  o.seed = 8;
  EXPECT_NE(EpochPlan(l, 0, o).order(), a.order());
}

TEST(EpochPlan, BucketingGroupsSimilarLengths) {
  auto l = lengths(3200);
  auto spread = [&](const EpochPlan& p) {  // mean max-min length inside a batch of 32
    double total = 0;
    for (int g = 0; g < 100; ++g) {
      int lo = 1 << 30, hi = 0;
      for (int i = 0; i < 32; ++i) {
        int v = l[p.order()[g * 32 + i]];
        lo = std::min(lo, v), hi = std::max(hi, v);
      }
      total += hi - lo;
    }
    return total / 100;
  };
  double bucketed = spread(EpochPlan(l, 0, {32, 1, true, 50}));
  double plain = spread(EpochPlan(l, 0, {32, 1, false, 50}));
  EXPECT_LT(bucketed, plain / 5) << bucketed << " vs " << plain;
}

// The ranks of one step get groups from one block of sorted groups: their padded lengths (the
// longest example of each rank's group) are nearly equal, so none waits long for another; with
// the same groups in random order (as before blocks), they would differ by a third of the range.
TEST(EpochPlan, RanksOfAStepGetSimilarLengthsWithBucketing) {
  std::vector<int32_t> l(6400);
  for (size_t i = 0; i < l.size(); ++i) l[i] = 3 + static_cast<int32_t>((i * 7919) % 61);
  EpochPlan p(l, 0, {32, 1, true, 50});
  std::vector<int> padded;  // per group of 32, in plan order
  for (size_t g = 0; g + 32 <= p.order().size(); g += 32) {
    int longest = 0;
    for (size_t i = g; i < g + 32; ++i) longest = std::max(longest, l[p.order()[i]]);
    padded.push_back(longest);
  }
  auto imbalance = [](const std::vector<int>& groups, size_t world) {  // mean max - min per step
    double total = 0;
    size_t steps = groups.size() / world;
    for (size_t s = 0; s < steps; ++s) {
      auto first = groups.begin() + s * world;
      total += *std::max_element(first, first + world) - *std::min_element(first, first + world);
    }
    return total / steps;
  };
  auto shuffled = padded;
  std::mt19937 gen(3);
  std::shuffle(shuffled.begin(), shuffled.end(), gen);
  for (size_t world : {2, 4, 8}) {
    double blocks = imbalance(padded, world), random = imbalance(shuffled, world);
    EXPECT_LT(blocks, random / 3) << world << " ranks: " << blocks << " vs " << random;
    EXPECT_LT(blocks, 1.5 * world) << world << " ranks";
  }
}

TEST(EpochPlan, ShardsAreDisjointCoverTheEpochAndHaveEqualStepCounts) {
  for (int world : {1, 2, 3}) {
    for (int n : {100, 101, 95, 7}) {
      auto l = lengths(n);
      EpochPlan p(l, 3, {8, 5, true, 4});
      std::multiset<int64_t> seen;
      int64_t pos = 0, steps = 0;
      while (true) {
        auto mb = p.micro_batch(pos, world);
        if (mb.total == 0) break;
        ++steps;
        for (int r = 0; r < world; ++r) {
          EXPECT_FALSE(mb.per_rank[r].empty()) << "rank " << r << " idle: would hang";
          seen.insert(mb.per_rank[r].begin(), mb.per_rank[r].end());
        }
        pos = mb.next_position;
      }
      EXPECT_EQ(steps, p.micro_steps(world)) << "world " << world << " n " << n;
      EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), seen.size()) << "duplicates";
      // Only a tail smaller than the world may be dropped.
      EXPECT_GE(static_cast<int64_t>(seen.size()), n - (world - 1)) << "world " << world;
    }
  }
}

TEST(EpochPlan, TwoRanksSeeTheSameExamplesAsOneRankWithDoubleBatchWithoutBucketing) {
  auto l = lengths(50);
  EpochPlan one(l, 0, {8, 3, false, 1}), two(l, 0, {4, 3, false, 1});
  auto a = one.micro_batch(0, 1), b = two.micro_batch(0, 2);
  std::vector<int64_t> joined = b.per_rank[0];
  joined.insert(joined.end(), b.per_rank[1].begin(), b.per_rank[1].end());
  EXPECT_EQ(a.per_rank[0], joined);
}

TEST(EpochPlan, ResumingAtAPositionWithAnotherWorldSizeContinuesTheSameOrder) {
  auto l = lengths(64);
  EpochPlan p(l, 2, {4, 9, true, 3});
  auto first = p.micro_batch(0, 2);  // 8 samples consumed by 2 ranks
  auto next_one_rank = p.micro_batch(first.next_position, 1);
  std::vector<int64_t> expect(p.order().begin() + 8, p.order().begin() + 12);
  EXPECT_EQ(next_one_rank.per_rank[0], expect);
}

TEST(EpochPlan, OptimizerStepsRoundUpPartialAccumulation) {
  EXPECT_EQ(optimizer_steps_per_epoch(10, 1), 10);
  EXPECT_EQ(optimizer_steps_per_epoch(10, 4), 3);
  EXPECT_EQ(optimizer_steps_per_epoch(8, 4), 2);
}

}  // namespace
}  // namespace berth::trainer
