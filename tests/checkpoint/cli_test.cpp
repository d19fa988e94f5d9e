// `berth checkpoint verify|list` end to end through the binary: output and exit codes.
#include <gtest/gtest.h>

#include "checkpoint/checkpoint_writer.h"
#include "tests/checkpoint/checkpoint_fixture.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;

namespace {

test::CommandResult berth(const std::string& args) {
  return test::run_command("'" + test::berth_binary() + "' " + args);
}

void write_three(const fs::path& root) {
  CheckpointWriter w(root);
  for (long long s : {100, 200, 300}) {
    w.write(s, [&](const fs::path& d) { testing::fill_fake_checkpoint(d, s); }, {{"acc", 0.5}});
  }
  w.mark_best(100);
}

}  // namespace

TEST(CheckpointCommand, VerifyAValidStepDirectory) {
  test::TempDir tmp;
  write_three(tmp.path());
  auto r = berth("checkpoint verify '" + (tmp / "step-00000200").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok                 model.safetensors"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK: 8 files match the manifest (step 200)"), std::string::npos) << r.out;

  auto latest = berth("checkpoint verify '" + (tmp / "latest").string() + "'");
  EXPECT_EQ(latest.exit_code, 0) << latest.out << latest.err;
  EXPECT_NE(latest.out.find("step-00000300"), std::string::npos) << latest.out;
}

TEST(CheckpointCommand, VerifyACorruptStepDirectoryExitsWithTheModelCode) {
  test::TempDir tmp;
  write_three(tmp.path());
  testing::flip_byte(tmp / "step-00000300" / "optimizer.safetensors");
  auto r = berth("checkpoint verify '" + (tmp / "step-00000300").string() + "'");
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("checksum mismatch  optimizer.safetensors"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("INVALID: 1 problem(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("[checkpoint]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("optimizer.safetensors: checksum mismatch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint:"), std::string::npos) << r.err;
}

TEST(CheckpointCommand, VerifyARootReportsEveryStepAndTheResumableOne) {
  test::TempDir tmp;
  write_three(tmp.path());
  auto ok = berth("checkpoint verify '" + tmp.path().string() + "'");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("resumable: step-00000300"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("OK: all 3 checkpoint(s) verify"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("best -> step-00000100  (ok)"), std::string::npos) << ok.out;

  fs::remove(tmp / "step-00000300" / "manifest.json");
  auto bad = berth("checkpoint verify '" + tmp.path().string() + "'");
  EXPECT_EQ(bad.exit_code, 4) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("step-00000300: INVALID"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("manifest.json: missing"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("latest -> step-00000300  (INVALID target)"), std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("resumable: step-00000200  (--resume auto skips newer: step-00000300)"),
            std::string::npos)
      << bad.out;
  EXPECT_NE(bad.err.find("--resume auto will use step-00000200"), std::string::npos) << bad.err;
}

TEST(CheckpointCommand, UsageErrorsAndList) {
  test::TempDir tmp;
  auto missing = berth("checkpoint verify '" + (tmp / "nope").string() + "'");
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_EQ(berth("checkpoint verify '" + tmp.path().string() + "'").exit_code, 4)
      << "an empty root has nothing to resume";
  EXPECT_EQ(berth("checkpoint").exit_code, 2);

  write_three(tmp / "run");
  auto list = berth("checkpoint list '" + (tmp / "run").string() + "'");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("step-00000100"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("[best]"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("[latest]"), std::string::npos) << list.out;
}

}  // namespace berth::checkpoint
