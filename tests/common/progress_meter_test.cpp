// The progress line of long commands (prep, predict): percentage and ETA only when the share
// done is known.
#include "common/progress_meter.h"

#include <gtest/gtest.h>

#include <cmath>

namespace berth::test {
namespace {

TEST(ProgressMeter, LineShowsShareRateAndEta) {
  EXPECT_EQ(log::ProgressMeter::format("prep", "rows", 5000, 0.25, 10.0),
            "prep  25% 5000 rows, 500 rows/s, 10s, eta 0m30s");
  EXPECT_EQ(log::ProgressMeter::format("predict", "texts", 300, NAN, 4.0),
            "predict 300 texts, 75 texts/s, 4s");
}

}  // namespace
}  // namespace berth::test
