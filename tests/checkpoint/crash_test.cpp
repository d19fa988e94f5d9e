// Crashes injected into a real process: a child writes a checkpoint and is SIGKILLed at each
// point of the protocol (while the trainer fills the directory, and at every step of commit).
// Whatever the moment, the root must stay resumable, `latest` must name a valid checkpoint, and
// the next writer must clean up.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint/checkpoint_scan.h"
#include "checkpoint/checkpoint_writer.h"
#include "checkpoint/layout.h"
#include "tests/checkpoint/checkpoint_fixture.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;

namespace {

// Runs `body` in a child process that SIGKILLs itself when it reaches `kill_at` (a commit phase,
// or "fill:<n>" after the n-th file written by the trainer). Returns true if it was killed.
bool run_child_killed_at(const fs::path& root, long long step, const std::string& kill_at,
                         bool use_exchange = true) {
  pid_t pid = ::fork();
  if (pid == 0) {
    auto die_if = [&](const std::string& point) {
      if (point == kill_at) ::kill(::getpid(), SIGKILL);
    };
    try {
      CheckpointWriter w(root);
      w.set_phase_hook(die_if);
      w.set_use_exchange(use_exchange);
      w.write(step, [&](const fs::path& d) {
        testing::fill_fake_checkpoint(d, step);
        // Overwrite file by file, dying in between, as a slow trainer would be caught.
        for (int i = 1; i <= 3; ++i) {
          test::write_file(d / ("shard-" + std::to_string(i) + ".bin"),
                           std::string(50000, 'a' + i));
          die_if("fill:" + std::to_string(i));
        }
      });
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

std::int64_t latest_step(const fs::path& root) {
  auto p = read_pointer(root, kLatestPointer);
  if (!p) return -1;
  return parse_step_dir_name(p->filename().string()).value_or(-1);
}

}  // namespace

struct CrashCase {
  std::string kill_at;
  bool new_checkpoint_survives;  // whether step 200 is already in place when the kill hits
  bool latest_moved;
};

// Readable test names in ctest output instead of a byte dump.
void PrintTo(const CrashCase& c, std::ostream* os) {
  *os << c.kill_at;
}

class CrashDuringWrite : public ::testing::TestWithParam<CrashCase> {};

TEST_P(CrashDuringWrite, LeavesTheRootResumable) {
  const CrashCase& c = GetParam();
  test::TempDir tmp;
  {
    CheckpointWriter w(tmp.path());
    w.write(100, [](const fs::path& d) { testing::fill_fake_checkpoint(d, 100); });
  }
  ASSERT_TRUE(run_child_killed_at(tmp.path(), 200, c.kill_at))
      << "child not killed at " << c.kill_at;

  ResumeChoice choice = find_resumable(tmp.path());
  ASSERT_TRUE(choice.chosen);
  EXPECT_EQ(choice.chosen->step, c.new_checkpoint_survives ? 200 : 100);
  EXPECT_TRUE(choice.skipped.empty()) << "a half-written checkpoint is never a step-* directory";
  EXPECT_EQ(latest_step(tmp.path()), c.latest_moved ? 200 : 100);
  EXPECT_TRUE(verify(*read_pointer(tmp.path(), kLatestPointer)).ok());

  // The next start cleans up and can write again.
  CheckpointWriter w(tmp.path());
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    EXPECT_NE(e.path().filename().string()[0], '.') << "leftover " << e.path();
  }
  w.write(300, [](const fs::path& d) { testing::fill_fake_checkpoint(d, 300); });
  EXPECT_EQ(find_resumable(tmp.path()).chosen->step, 300);
}

INSTANTIATE_TEST_SUITE_P(EveryPhase, CrashDuringWrite,
                         ::testing::Values(CrashCase{"fill:1", false, false},
                                           CrashCase{"fill:3", false, false},
                                           CrashCase{"files_synced", false, false},
                                           CrashCase{"manifest_written", false, false},
                                           CrashCase{"installed", true, false},
                                           CrashCase{"latest_updated", true, true}),
                         [](const auto& info) {
                           std::string n = info.param.kill_at;
                           for (auto& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

class ReSaveCrash : public ::testing::TestWithParam<bool> {};

TEST_P(ReSaveCrash, KeepsOneValidCopyAtEveryMoment) {
  const bool use_exchange = GetParam();
  std::vector<std::string> points{"fill:2", "manifest_written", "replaced", "installed"};
  if (!use_exchange) points.push_back("moved_aside");
  for (const std::string& kill_at : points) {
    test::TempDir tmp;
    {
      CheckpointWriter w(tmp.path());
      w.write(100, [](const fs::path& d) { testing::fill_fake_checkpoint(d, 100); });
      w.write(200, [](const fs::path& d) { testing::fill_fake_checkpoint(d, 200); });
    }
    ASSERT_TRUE(run_child_killed_at(tmp.path(), 200, kill_at, use_exchange)) << kill_at;
    if (kill_at != "moved_aside") {
      ResumeChoice choice = find_resumable(tmp.path());
      ASSERT_TRUE(choice.chosen) << kill_at;
      EXPECT_EQ(choice.chosen->step, 200) << kill_at;
    }
    // The next writer restores the moved-aside copy, if any.
    CheckpointWriter w(tmp.path());
    EXPECT_EQ(find_resumable(tmp.path()).chosen->step, 200) << kill_at;
    for (const auto& e : fs::directory_iterator(tmp.path())) {
      EXPECT_NE(e.path().filename().string()[0], '.') << kill_at << ": leftover " << e.path();
    }
    EXPECT_TRUE(verify(tmp / "step-00000200").ok()) << kill_at;
    // Before the swap the old copy is the one in place; from the swap on, the new one is.
    bool expect_new = kill_at == "replaced" || kill_at == "installed";
    EXPECT_EQ(fs::exists(tmp / "step-00000200" / "shard-1.bin"), expect_new) << kill_at;
  }
}

INSTANTIATE_TEST_SUITE_P(ExchangeAndMoveAside, ReSaveCrash, ::testing::Values(true, false),
                         [](const auto& info) {
                           return std::string(info.param ? "exchange" : "move_aside");
                         });

}  // namespace berth::checkpoint
