// `berth` alone prints the help with the usage code, and an unknown command word is named with
// the nearest command (CLI11 alone answered both with "A subcommand is required").
#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

CommandResult berth(const std::string& args) {
  return run_command("'" + berth_binary() + "' " + args);
}

TEST(CommandWords, BerthAlonePrintsTheHelpWithTheUsageCode) {
  auto r = berth("");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  for (const char* command : {"prep", "train", "predict", "eval", "serve", "report"})
    EXPECT_NE(r.out.find(command), std::string::npos) << command << " missing from:\n" << r.out;
  EXPECT_NE(r.out.find("Usage: berth"), std::string::npos) << r.out;
  auto group = berth("checkpoint");
  EXPECT_EQ(group.exit_code, 2) << group.err;
  EXPECT_NE(group.out.find("verify"), std::string::npos) << group.out;
  EXPECT_NE(group.out.find("berth checkpoint"), std::string::npos) << group.out;
}

TEST(CommandWords, AnUnknownCommandIsNamedWithTheNearestOne) {
  auto r = berth("trian --config x.toml");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("unknown command 'trian'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'berth train'?"), std::string::npos) << r.err;
  auto nested = berth("checkpoint verfy /tmp");
  EXPECT_EQ(nested.exit_code, 2) << nested.err;
  EXPECT_NE(nested.err.find("did you mean 'berth checkpoint verify'?"), std::string::npos)
      << nested.err;
  auto far = berth("fit");
  EXPECT_EQ(far.exit_code, 2) << far.err;
  EXPECT_NE(far.err.find("unknown command 'fit'"), std::string::npos) << far.err;
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
}

TEST(CommandWords, HelpAndVersionStillAnswerZero) {
  EXPECT_EQ(berth("--help").exit_code, 0);
  EXPECT_EQ(berth("--version").exit_code, 0);
  EXPECT_EQ(berth("train --help").exit_code, 0);
  EXPECT_EQ(berth("checkpoint verify --help").exit_code, 0);
}

}  // namespace
}  // namespace berth::test
