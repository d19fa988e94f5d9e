#include "common/error.h"

#include <gtest/gtest.h>

namespace berth {

TEST(Error, MessageNamesComponentAndHint) {
  Error e = usage_error("config", "unknown key 'optim.lrr' in run.toml", "did you mean optim.lr?");
  EXPECT_EQ(e.code(), ExitCode::kUsage);
  EXPECT_EQ(e.component(), "config");
  std::string what = e.what();
  EXPECT_NE(what.find("[config] unknown key 'optim.lrr' in run.toml"), std::string::npos);
  EXPECT_NE(what.find("hint: did you mean optim.lr?"), std::string::npos);
}

TEST(Error, ShorthandsSetTheirExitCodes) {
  EXPECT_EQ(data_error("data", "x").code(), ExitCode::kData);
  EXPECT_EQ(model_error("model", "x").code(), ExitCode::kModel);
  EXPECT_EQ(std::string(data_error("data", "bare message").what()).find("hint"), std::string::npos);
}

}  // namespace berth
