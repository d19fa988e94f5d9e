// Berth's event files through TensorBoard's default loader: `tensorboard --logdir` as users
// start it (TensorBoard 2.21 picks the Rust tensorboard-data-server), asked over HTTP on
// loopback (tests/python/tensorboard_server.py). With DT_DOUBLE scalars the data server listed
// no tags at all while the Python loader showed them (issue 30); these must list every tag
// with its values.
#include <gtest/gtest.h>

#include "tests/support/test_support.h"
#include "trainer/tensorboard_writer.h"

namespace berth::test {
namespace {

TEST(TensorBoardServer, TheDefaultLoaderListsEveryTagWithItsValues) {
  TempDir d;
  {
    // A run and a resume over it, as `berth train` leaves them: one file, rewritten.
    trainer::TensorBoardWriter w(d / "run", -1);
    for (int s = 1; s <= 4; ++s) w.add({"train/loss", s, 1.0 / s, 1000.0 + s});
    w.add({"dev/accuracy", 2, 0.75, 1002.5});
  }
  {
    trainer::TensorBoardWriter w(d / "run", 2);
    w.add({"train/loss", 3, 0.125, 2003.0});
  }
  auto r = run_python("tensorboard_server.py '" + d.path().string() + "' dev/accuracy");
  auto got = nlohmann::json::parse(r.out);
  EXPECT_EQ(got["loader"], "fast") << "the test must exercise the data server: " << r.out;
  ASSERT_TRUE(got["tags"].contains("run")) << r.out;
  EXPECT_TRUE(got["tags"]["run"].contains("train/loss")) << r.out;
  EXPECT_TRUE(got["tags"]["run"].contains("dev/accuracy")) << r.out;
  const auto& loss = got["scalars"]["run"]["train/loss"];
  ASSERT_EQ(loss.size(), 3u) << r.out;  // step 4 was abandoned by the resume from 2
  EXPECT_EQ(loss[0], nlohmann::json::array({1, 1.0}));
  EXPECT_EQ(loss[1][1].get<double>(), static_cast<float>(0.5));
  EXPECT_EQ(loss[2], nlohmann::json::array({3, 0.125}));
  EXPECT_EQ(got["scalars"]["run"]["dev/accuracy"], nlohmann::json::parse("[[2, 0.75]]"));
}

}  // namespace
}  // namespace berth::test
