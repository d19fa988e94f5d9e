#include "checkpoint/retention.h"

#include <gtest/gtest.h>

#include <cmath>

#include "checkpoint/checkpoint_scan.h"
#include "checkpoint/checkpoint_writer.h"
#include "checkpoint/layout.h"
#include "tests/checkpoint/checkpoint_fixture.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;
using Steps = std::vector<std::int64_t>;
using Metrics = std::map<std::int64_t, std::optional<double>>;

TEST(PlanRetention, KeepsTheKNewestAndTheMBestSeparately) {
  Steps steps{100, 200, 300, 400, 500, 600};
  Metrics acc{{100, 0.70}, {200, 0.95}, {300, 0.80}, {400, 0.90}, {500, 0.85}, {600, 0.60}};
  RetentionPolicy p{/*keep_last=*/2, /*keep_best=*/1, /*higher_is_better=*/true};
  auto r = plan_retention(steps, acc, p, {});
  EXPECT_EQ(r.kept, (Steps{200, 500, 600})) << "the best (200) survives the last-2 rule";
  EXPECT_EQ(r.deleted, (Steps{100, 300, 400}));

  p.keep_best = 2;
  EXPECT_EQ(plan_retention(steps, acc, p, {}).kept, (Steps{200, 400, 500, 600}));
}

TEST(PlanRetention, LowerIsBetterForALoss) {
  Metrics loss{{100, 0.3}, {200, 0.1}, {300, 0.5}, {400, 0.4}};
  RetentionPolicy p{1, 1, /*higher_is_better=*/false};
  EXPECT_EQ(plan_retention({100, 200, 300, 400}, loss, p, {}).kept, (Steps{200, 400}));
}

TEST(PlanRetention, NanAndMissingMetricsNeverCountAsBest) {
  Metrics m{{100, std::nan("")}, {200, std::nullopt}, {300, 0.1}};
  RetentionPolicy p{1, 2, true};
  // Only 300 has a usable metric; it is also the newest. NaN must not win the comparison.
  auto r = plan_retention({100, 200, 300, 400}, m, p, {});
  EXPECT_EQ(r.kept, (Steps{300, 400}));
  EXPECT_EQ(r.deleted, (Steps{100, 200}));
}

TEST(PlanRetention, ZeroKeepsEverythingAndProtectedStepsSurvive) {
  Steps steps{1, 2, 3};
  EXPECT_TRUE(plan_retention(steps, {}, RetentionPolicy{0, 0, true}, {}).deleted.empty());
  auto r = plan_retention(steps, {}, RetentionPolicy{1, 0, true}, {1});
  EXPECT_EQ(r.kept, (Steps{1, 3}));
  EXPECT_EQ(r.deleted, (Steps{2}));
}

TEST(ApplyRetention, DeletesDirectoriesButNeverLatestOrBest) {
  test::TempDir tmp;
  CheckpointWriter w(tmp.path());
  Metrics acc;
  for (long long s = 1; s <= 6; ++s) {
    w.write(s * 100, [&](const fs::path& d) { testing::fill_fake_checkpoint(d, s * 100); });
    acc[s * 100] = 0.5 + 0.01 * static_cast<double>(s);
  }
  acc[200] = 0.99;   // the best by metric
  w.mark_best(300);  // the trainer's `best` pointer (e.g. chosen on another metric)
  // A resumed run re-saved an older step, so `latest` is not the newest directory.
  w.write(400, [](const fs::path& d) { testing::fill_fake_checkpoint(d, 400); });

  auto r = apply_retention(tmp.path(), RetentionPolicy{2, 1, true}, acc);
  EXPECT_EQ(r.kept, (Steps{200, 300, 400, 500, 600}));
  EXPECT_EQ(r.deleted, (Steps{100}));
  std::vector<std::int64_t> left;
  for (const auto& d : list_step_dirs(tmp.path())) left.push_back(d.step);
  EXPECT_EQ(left, r.kept);
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    EXPECT_NE(e.path().filename().string()[0], '.') << "no leftovers: " << e.path();
  }
  EXPECT_TRUE(verify(*read_pointer(tmp.path(), "latest")).ok());
  EXPECT_TRUE(verify(*read_pointer(tmp.path(), "best")).ok());

  // Keep-last 1, no best budget: only the pointers' targets and the newest survive.
  r = apply_retention(tmp.path(), RetentionPolicy{1, 0, true}, acc);
  EXPECT_EQ(r.kept, (Steps{300, 400, 600}));
}

}  // namespace berth::checkpoint
