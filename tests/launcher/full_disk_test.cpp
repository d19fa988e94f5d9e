// A full disk (a small tmpfs, mounted here: the test needs root and skips without it) under each
// durable writer a user meets first: `berth prep`'s corpus, `berth predict --output`,
// `berth eval --output`, and a training checkpoint. Each must fail with a clear error (the path,
// "No space left on device", not exit 1), leave no partial file under the final name, and leave
// what was there before (an earlier predictions file, the previous checkpoint) intact. And a
// read-only file system (another tmpfs, mounted read-only: root may write anywhere else) under
// checkpoint.dir is refused before the first step.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class FullDisk : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    run_python("make_tiny_model.py '" + (*dir_ / "tiny").string() + "' '" +
               default_model().string() + "' 3 0.0");
    write_file(*dir_ / "train.csv", learnable_csv(60));
    fs::create_directories(*dir_ / "disk");
    // 64 MiB: room for a tiny model's checkpoint (~12 MB: weights and Adam moments), filled on
    // purpose by each test.
    fs::create_directories(*dir_ / "ro");
    if (::mount("tmpfs", (*dir_ / "disk").c_str(), "tmpfs", 0, "size=64m") != 0) {
      mount_error_ = std::strerror(errno);
    } else if (::mount("tmpfs", (*dir_ / "ro").c_str(), "tmpfs", MS_RDONLY, "size=1m") != 0) {
      mount_error_ = std::strerror(errno);
      ::umount((*dir_ / "disk").c_str());
    }
  }
  static void TearDownTestSuite() {
    if (mount_error_.empty()) {
      ::umount((*dir_ / "disk").c_str());
      ::umount((*dir_ / "ro").c_str());
    }
    delete dir_;
  }
  void SetUp() override {
    if (!mount_error_.empty())
      GTEST_SKIP() << "cannot mount a tmpfs (" << mount_error_ << "): needs root";
  }
  void TearDown() override {
    std::error_code ec;
    if (mount_error_.empty())
      for (const auto& e : fs::directory_iterator(disk())) fs::remove_all(e.path(), ec);
  }

  static fs::path disk() { return *dir_ / "disk"; }

  // Fills the tmpfs until the kernel refuses a byte, then gives back `leave` bytes.
  static void fill_disk(size_t leave) {
    const fs::path filler = disk() / "filler";
    FILE* f = std::fopen(filler.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::setvbuf(f, nullptr, _IONBF, 0);
    const std::string block(1 << 16, 'f');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) {
    }
    std::fclose(f);
    // What the kernel took, the last short write included (a page left free would hold a
    // small output and the test would prove nothing).
    const auto written = static_cast<size_t>(fs::file_size(filler));
    fs::resize_file(filler, written > leave ? written - leave : 0);
  }

  static std::string berth() { return "'" + berth_binary() + "' "; }

  // A checkpoint of a 2-step run (on the normal disk) for predict and eval, trained once for
  // the suite; empty (after a test failure) when training failed.
  static fs::path small_checkpoint() {
    static fs::path ck;
    if (!ck.empty()) return ck;
    std::ostringstream c;
    c << "[model]\npath = '" << (*dir_ / "tiny").string() << "'\n[data]\ntrain = '"
      << (*dir_ / "train.csv").string() << "'\nbatch_size = 8\nmax_length = 32\ncache_dir = '"
      << (*dir_ / "cache").string() << "'\n[train]\nmax_steps = 2\nrun_dir = '"
      << (*dir_ / "predict-run").string() << "'\n[runtime]\nthreads = 1\n";
    write_file(*dir_ / "predict-run.toml", c.str());
    auto t =
        run_command(berth() + "train --config '" + (*dir_ / "predict-run.toml").string() + "'");
    EXPECT_EQ(t.exit_code, 0) << t.err;
    if (t.exit_code == 0) ck = checkpoint_step_dir(*dir_ / "predict-run", 2);
    return ck;
  }

  static std::vector<std::string> names_in(const fs::path& d) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(d)) out.push_back(e.path().filename().string());
    return out;
  }

  // With `out` written once (its content `before`), fills the disk and runs `write_to` again to
  // `out` and to a new file: each must fail cleanly (exit 3, ENOSPC), `out` stay as it was, and
  // only `out` and the filler be left.
  static void expect_full_disk_keeps(const std::function<CommandResult(const fs::path&)>& write_to,
                                     const fs::path& out, const std::string& before,
                                     const std::string& fresh_name) {
    fill_disk(0);
    auto again = write_to(out);
    EXPECT_EQ(again.exit_code, 3) << again.err;
    EXPECT_NE(again.err.find("No space left on device"), std::string::npos) << again.err;
    EXPECT_EQ(read_file(out), before) << "the earlier " << out.filename() << " was damaged";
    auto fresh = write_to(disk() / fresh_name);
    EXPECT_EQ(fresh.exit_code, 3) << fresh.err;
    EXPECT_FALSE(fs::exists(disk() / fresh_name));
    auto left = names_in(disk());
    std::sort(left.begin(), left.end());
    std::vector<std::string> expected{"filler", out.filename().string()};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(left, expected) << "a temporary was left";
  }

  static TempDir* dir_;
  static std::string mount_error_;
};

TempDir* FullDisk::dir_ = nullptr;
std::string FullDisk::mount_error_;

TEST_F(FullDisk, PrepFailsCleanlyAndLeavesNoCorpus) {
  fill_disk(0);
  const fs::path out = disk() / "train.h5";
  // Under `make test-asan`: HDF5's own leak when H5Fcreate fails, suppressed for this command
  // only (the file says why); no effect in a normal build.
  const std::string lsan = std::string("LSAN_OPTIONS=suppressions=") + BERTH_SOURCE_DIR +
                           "/scripts/sanitizers/lsan-hdf5-create-enospc.supp:print_suppressions=0 ";
  auto r =
      run_command(lsan + berth() + "prep --model '" + (*dir_ / "tiny").string() + "' --input '" +
                  (*dir_ / "train.csv").string() + "' --out '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(names_in(disk()), std::vector<std::string>{"filler"}) << "a temporary was left";
}

TEST_F(FullDisk, PredictFailsCleanlyAndKeepsTheEarlierOutput) {
  const fs::path ck = small_checkpoint();
  ASSERT_FALSE(ck.empty());
  const fs::path out = disk() / "predictions.jsonl";
  auto predict = [&](const fs::path& to) {
    return run_command(berth() + "predict --checkpoint '" + ck.string() + "' --input '" +
                       (*dir_ / "train.csv").string() + "' --output '" + to.string() + "'");
  };
  auto first = predict(out);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string before = read_file(out);
  ASSERT_FALSE(before.empty());

  expect_full_disk_keeps(predict, out, before, "new.jsonl");
}

TEST_F(FullDisk, EvalFailsCleanlyAndKeepsTheEarlierReport) {
  const fs::path ck = small_checkpoint();
  ASSERT_FALSE(ck.empty());
  const fs::path out = disk() / "eval.json";
  auto eval = [&](const fs::path& to) {
    return run_command(berth() + "eval --checkpoint '" + ck.string() + "' --input '" +
                       (*dir_ / "train.csv").string() + "' --output '" + to.string() + "'");
  };
  auto first = eval(out);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string before = read_file(out);
  ASSERT_NE(before.find("\"accuracy\""), std::string::npos) << before;

  expect_full_disk_keeps(eval, out, before, "new.json");

  // A directory that does not exist is refused before any scoring, naming the option.
  auto nowhere = eval(*dir_ / "no-such-dir" / "eval.json");
  EXPECT_EQ(nowhere.exit_code, 2) << nowhere.err;
  EXPECT_NE(nowhere.err.find("--output"), std::string::npos) << nowhere.err;
}

TEST_F(FullDisk, CheckpointFailsCleanlyAndThePreviousOneStaysValid) {
  std::ostringstream c;
  c << "[model]\npath = '" << (*dir_ / "tiny").string() << "'\n[data]\ntrain = '"
    << (*dir_ / "train.csv").string() << "'\nbatch_size = 8\nmax_length = 32\ncache_dir = '"
    << (*dir_ / "cache").string() << "'\n[train]\nmax_steps = 2\nrun_dir = '"
    << (*dir_ / "ckpt-run").string() << "'\n[checkpoint]\ndir = '" << (disk() / "ck").string()
    << "'\nevery_steps = 2\nkeep_last = 0\n[runtime]\nthreads = 1\n";
  const fs::path cfg = *dir_ / "ckpt-run.toml";
  write_file(cfg, c.str());
  auto first = run_command(berth() + "train --config '" + cfg.string() + "'");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_TRUE(fs::is_directory(disk() / "ck" / "step-00000002"));

  // Room for the small files, not for the next checkpoint's weights.
  fill_disk(256 << 10);
  auto r = run_command(berth() + "train --config '" + cfg.string() +
                       "' --resume latest --set train.max_steps=4");
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_NE(r.exit_code, 1) << "an internal error where a disk error belongs:\n" << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(disk() / "ck" / "step-00000004"));
  EXPECT_EQ(fs::read_symlink(disk() / "ck" / "latest"), fs::path("step-00000002"));
  auto verify = run_command(berth() + "checkpoint verify '" +
                            (disk() / "ck" / "step-00000002").string() + "'");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(FullDisk, ReadOnlyCheckpointDirIsRefusedBeforeTheFirstStep) {
  std::ostringstream c;
  c << "[model]\npath = '" << (*dir_ / "tiny").string() << "'\n[data]\ntrain = '"
    << (*dir_ / "train.csv").string() << "'\nbatch_size = 8\nmax_length = 32\ncache_dir = '"
    << (*dir_ / "cache").string() << "'\n[train]\nmax_steps = 2\nrun_dir = '"
    << (*dir_ / "ro-run").string() << "'\n[checkpoint]\ndir = '" << (*dir_ / "ro").string()
    << "'\n[runtime]\nthreads = 1\n";
  write_file(*dir_ / "ro-run.toml", c.str());
  auto r = run_command(berth() + "train --config '" + (*dir_ / "ro-run.toml").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("checkpoint.dir"), std::string::npos) << r.err;
  EXPECT_TRUE(metrics_records(*dir_ / "ro-run", "train").empty()) << "it took a step";
}

}  // namespace
}  // namespace berth::test
