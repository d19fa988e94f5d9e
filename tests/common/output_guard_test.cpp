// common/output_guard: an output is refused when it is, or resolves to, a protected file
// (same name, a symbolic link, `..`, a hard link), an existing file under a protected directory,
// or any path inside a sealed one; new files, unrelated files, devices and the command's own
// artefact pass.
#include "common/output_guard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace berth {
namespace {

namespace fs = std::filesystem;

// The error's message when `guard` refuses `output`, "" when it lets it pass.
std::string refusal(const OutputGuard& guard, const fs::path& output) {
  try {
    guard.check(output.string(), "--output");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_NE(e.hint().find("--output"), std::string::npos) << e.hint();
    return e.message();
  }
  return "";
}

class OutputGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(tmp_ / "in.txt", "texts\n");
    fs::create_directories(tmp_ / "sub");
    fs::create_directories(tmp_ / "ck");
    test::write_file(tmp_ / "ck" / "model.safetensors", "weights");
    fs::create_directories(tmp_ / "run" / "logs");
    test::write_file(tmp_ / "run" / "metrics.jsonl", "{}\n");
    test::write_file(tmp_ / "run" / "logs" / "rank-0.log", "log\n");
    test::write_file(tmp_ / "run" / "report.html", "<html>");
    guard_.protect((tmp_ / "in.txt").string(), "--input");
    guard_.seal((tmp_ / "ck").string(), "the checkpoint --checkpoint");
    guard_.protect((tmp_ / "run").string(), "the run's");
  }
  test::TempDir tmp_;
  OutputGuard guard_{"predict"};
};

TEST_F(OutputGuardTest, TheInputUnderAnyNameIsRefused) {
  EXPECT_NE(refusal(guard_, tmp_ / "in.txt").find("is --input"), std::string::npos);
  EXPECT_NE(refusal(guard_, tmp_ / "sub" / ".." / "in.txt"), "");
  fs::create_symlink(tmp_ / "in.txt", tmp_ / "link.txt");
  EXPECT_NE(refusal(guard_, tmp_ / "link.txt").find("through a link"), std::string::npos);
  fs::create_hard_link(tmp_ / "in.txt", tmp_ / "hard.txt");
  EXPECT_NE(refusal(guard_, tmp_ / "hard.txt"), "");
  // Relative to the working directory, as a user types it.
  const auto cwd = fs::current_path();
  fs::current_path(tmp_.path() / "sub");
  const std::string relative = refusal(guard_, "../in.txt");
  fs::current_path(cwd);
  EXPECT_NE(relative, "");
}

TEST_F(OutputGuardTest, CheckpointsAreSealedAndRunFilesProtected) {
  EXPECT_NE(refusal(guard_, tmp_ / "ck" / "model.safetensors").find("inside the checkpoint"),
            std::string::npos);
  EXPECT_NE(refusal(guard_, tmp_ / "ck" / "new.jsonl"), "") << "a new file changes a checkpoint";
  fs::create_hard_link(tmp_ / "ck" / "model.safetensors", tmp_ / "weights-link");
  EXPECT_NE(refusal(guard_, tmp_ / "weights-link"), "");
  EXPECT_NE(refusal(guard_, tmp_ / "run" / "metrics.jsonl").find("a file of the run's"),
            std::string::npos);
  EXPECT_NE(refusal(guard_, tmp_ / "run" / "logs" / "rank-0.log"), "");
  fs::create_symlink(tmp_ / "run", tmp_ / "run-link");
  EXPECT_NE(refusal(guard_, tmp_ / "run-link" / "metrics.jsonl"), "");
  // A new file in a protected (not sealed) directory destroys nothing.
  EXPECT_EQ(refusal(guard_, tmp_ / "run" / "test-predictions.jsonl"), "");
}

TEST_F(OutputGuardTest, NewUnrelatedAndDeviceOutputsPass) {
  EXPECT_EQ(refusal(guard_, tmp_ / "predictions.jsonl"), "");
  test::write_file(tmp_ / "old-predictions.jsonl", "old\n");
  EXPECT_EQ(refusal(guard_, tmp_ / "old-predictions.jsonl"), "")
      << "an earlier output is rewritten";
  EXPECT_EQ(refusal(guard_, ""), "") << "standard output";
  OutputGuard devices("predict");
  devices.protect("/dev/null", "--input");
  EXPECT_EQ(refusal(devices, "/dev/null"), "") << "a device is written as is, never replaced";
  // A missing protected path protects nothing (and is not an error here).
  OutputGuard missing("predict");
  missing.protect((tmp_ / "absent.txt").string(), "--input");
  EXPECT_EQ(refusal(missing, tmp_ / "absent.txt"), "");
}

TEST_F(OutputGuardTest, TheOwnArtefactIsRewrittenButNotThroughAHardLink) {
  guard_.allow((tmp_ / "run" / "report.html").string());
  EXPECT_EQ(refusal(guard_, tmp_ / "run" / "report.html"), "");
  EXPECT_NE(refusal(guard_, tmp_ / "run" / "metrics.jsonl"), "");
  // report.html made a hard link of metrics.jsonl: rewriting it would replace the metrics.
  fs::remove(tmp_ / "run" / "report.html");
  fs::create_hard_link(tmp_ / "run" / "metrics.jsonl", tmp_ / "run" / "report.html");
  EXPECT_NE(refusal(guard_, tmp_ / "run" / "report.html").find("metrics.jsonl"), std::string::npos);
  // ... or a symbolic link to it.
  fs::remove(tmp_ / "run" / "report.html");
  fs::create_symlink("metrics.jsonl", tmp_ / "run" / "report.html");
  EXPECT_NE(refusal(guard_, tmp_ / "run" / "report.html"), "");
}

}  // namespace
}  // namespace berth
