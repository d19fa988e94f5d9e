// common/durable_fs: a file written atomically is either absent (or the old one) or whole under
// its name, never a part, and a failure leaves no temporary behind and names the path.
#include "common/durable_fs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "tests/support/test_support.h"

namespace berth::durable {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names_in(const fs::path& d) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(d)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DurableFs, AtomicFileAppearsOnlyAtCommit) {
  test::TempDir tmp;
  const fs::path out = tmp / "predictions.jsonl";
  test::write_file(out, "old\n");
  {
    AtomicFile f(out);
    f.write("new ");
    f.write(std::string(200000, 'x'));  // past the buffer: written through
    EXPECT_EQ(test::read_file(out), "old\n");
    EXPECT_TRUE(fs::exists(f.temp_path()));
    f.commit();
  }
  EXPECT_EQ(test::read_file(out), "new " + std::string(200000, 'x'));
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"predictions.jsonl"});
}

TEST(DurableFs, AnAbandonedAtomicFileLeavesTheOldOneAndNoTemporary) {
  test::TempDir tmp;
  const fs::path out = tmp / "config.json";
  test::write_file(out, "{}\n");
  {
    AtomicFile f(out);
    f.write("{\"half\":");
  }  // an exception on the way would destroy it like this
  EXPECT_EQ(test::read_file(out), "{}\n");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"config.json"});
}

TEST(DurableFs, WriteFileAtomicallyReplacesWhole) {
  test::TempDir tmp;
  write_file_atomically(tmp / "a.txt", "one");
  write_file_atomically(tmp / "a.txt", "two");
  EXPECT_EQ(test::read_file(tmp / "a.txt"), "two");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"a.txt"});
}

TEST(DurableFs, FailuresNameThePathWithTheCallersComponentAndCode) {
  test::TempDir tmp;
  const fs::path out = tmp / "no-such-dir" / "train.h5";
  try {
    write_file_atomically(out, "x", {"data", ExitCode::kData});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.component(), "data");
    EXPECT_EQ(e.code(), ExitCode::kData);
    EXPECT_NE(e.message().find((tmp / "no-such-dir").string()), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("No such file or directory"), std::string::npos) << e.message();
  }
}

TEST(DurableFs, CommitFileMovesAWrittenTemporaryAndRemovesItOnFailure) {
  test::TempDir tmp;
  test::write_file(tmp / ".c.h5.tmp", "corpus");
  commit_file(tmp / ".c.h5.tmp", tmp / "c.h5");
  EXPECT_EQ(test::read_file(tmp / "c.h5"), "corpus");
  test::write_file(tmp / ".d.tmp", "d");
  fs::create_directories(tmp / "d-is-a-dir" / "full");  // rename of a file over it fails
  EXPECT_THROW(commit_file(tmp / ".d.tmp", tmp / "d-is-a-dir"), Error);
  EXPECT_FALSE(fs::exists(tmp / ".d.tmp"));
}

}  // namespace
}  // namespace berth::durable
