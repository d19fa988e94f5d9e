// common's small shared helpers: whole-file reads, the user cache directory, durations.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "common/cache_dir.h"
#include "common/clock.h"
#include "common/file_read.h"

namespace berth {
namespace {

namespace fs = std::filesystem;

TEST(ReadFile, WholeBinaryFileOrNothing) {
  const fs::path dir = fs::temp_directory_path() / ("berth-read-file-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string bytes("a\0b\r\nc", 6);
  std::ofstream(dir / "f", std::ios::binary) << bytes;
  EXPECT_EQ(read_file(dir / "f"), bytes);
  std::ofstream(dir / "empty", std::ios::binary).flush();
  EXPECT_EQ(read_file(dir / "empty"), std::string());
  EXPECT_FALSE(read_file(dir / "missing").has_value());
  EXPECT_FALSE(read_file(dir).has_value());  // a directory is not a file to read
  fs::remove_all(dir);
}

TEST(UserCacheDir, XdgFirstThenHomeThenNone) {
  const char* xdg = getenv("XDG_CACHE_HOME");
  const char* home = getenv("HOME");
  const std::string old_xdg = xdg ? xdg : "", old_home = home ? home : "";
  setenv("XDG_CACHE_HOME", "/x", 1);
  setenv("HOME", "/h", 1);
  EXPECT_EQ(user_cache_dir("corpora"), fs::path("/x/berth/corpora"));
  setenv("XDG_CACHE_HOME", "", 1);
  EXPECT_EQ(user_cache_dir("verified"), fs::path("/h/.cache/berth/verified"));
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HOME");
  EXPECT_TRUE(user_cache_dir("corpora").empty());
  if (xdg) setenv("XDG_CACHE_HOME", old_xdg.c_str(), 1);
  if (home) setenv("HOME", old_home.c_str(), 1);
}

TEST(FormatDuration, MinutesSecondsHoursAndUnknown) {
  EXPECT_EQ(format_duration(0), "0m00s");
  EXPECT_EQ(format_duration(65.4), "1m05s");
  EXPECT_EQ(format_duration(3599.6), "1h00m");
  EXPECT_EQ(format_duration(7322), "2h02m");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_duration(NAN, "-"), "-");
}

}  // namespace
}  // namespace berth
