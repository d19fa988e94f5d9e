// The run-directory lock: one holder at a time, the holder named, released on close, and a lock
// file left by a dead process never blocks.
#include "checkpoint/run_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace berth::checkpoint {
namespace {

TEST(RunLock, SecondHolderIsRefusedWithTheFirstsName) {
  test::TempDir dir;
  auto run = dir.path() / "run";
  auto first = RunLock::acquire(run, "train.run_dir");
  EXPECT_TRUE(first.held());
  try {
    RunLock::acquire(run, "train.run_dir");  // another open file: flock conflicts in-process too
    FAIL() << "a second lock was granted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    std::string m = e.what();
    EXPECT_NE(m.find("train.run_dir"), std::string::npos) << m;
    EXPECT_NE(m.find("in use by another berth train"), std::string::npos) << m;
    EXPECT_NE(m.find("pid " + std::to_string(getpid())), std::string::npos) << m;
  }
}

TEST(RunLock, ReleasedWhenTheHolderGoes) {
  test::TempDir dir;
  { auto lock = RunLock::acquire(dir.path(), "train.run_dir"); }
  EXPECT_TRUE(RunLock::acquire(dir.path(), "train.run_dir").held());
}

TEST(RunLock, AStaleLockFileDoesNotBlock) {
  test::TempDir dir;
  test::write_file(dir.path() / ".berth.lock", "host gone, pid 999999, since 2020-01-01\n");
  auto lock = RunLock::acquire(dir.path(), "train.run_dir");
  EXPECT_TRUE(lock.held());
  EXPECT_NE(test::read_file(dir.path() / ".berth.lock").find(std::to_string(getpid())),
            std::string::npos);
}

// A run writes checkpoints by path: after a `mv` of its directory (and another run's directory
// made at the old path) the lock tells that the path is no longer the run's.
TEST(RunLock, InPlaceUntilTheDirectoryIsMovedOrReplaced) {
  test::TempDir dir;
  const auto run = dir.path() / "run";
  auto lock = RunLock::acquire(run, "train.run_dir");
  EXPECT_TRUE(lock.in_place());
  std::filesystem::rename(run, dir.path() / "moved");
  EXPECT_FALSE(lock.in_place());                        // nothing at the old path
  auto other = RunLock::acquire(run, "train.run_dir");  // another run takes the old path
  EXPECT_TRUE(other.in_place());
  EXPECT_FALSE(lock.in_place());
  EXPECT_EQ(lock.dir(), run);
  EXPECT_EQ(lock.key(), "train.run_dir");
  EXPECT_TRUE(RunLock().in_place());  // nothing held: nothing to check
}

}  // namespace
}  // namespace berth::checkpoint
