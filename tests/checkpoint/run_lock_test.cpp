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

}  // namespace
}  // namespace berth::checkpoint
