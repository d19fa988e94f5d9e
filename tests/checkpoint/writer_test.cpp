#include <gtest/gtest.h>

#include "checkpoint/checkpoint_scan.h"
#include "checkpoint/checkpoint_writer.h"
#include "checkpoint/layout.h"
#include "checkpoint/manifest.h"
#include "common/error.h"
#include "tests/checkpoint/checkpoint_fixture.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;
using testing::fill_fake_checkpoint;

namespace {

std::vector<std::string> hidden_entries(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(root)) {
    std::string name = e.path().filename().string();
    if (name[0] == '.') out.push_back(name);
  }
  return out;
}

std::string pointer_name(const fs::path& root, const std::string& pointer) {
  auto p = read_pointer(root, pointer);
  return p ? p->filename().string() : "";
}

}  // namespace

TEST(CheckpointWriter, WritesAVerifiableStepDirectoryAndMovesLatest) {
  test::TempDir tmp;
  CheckpointWriter w(tmp / "ckpt");
  fs::path work = w.begin(1200);
  EXPECT_EQ(work.parent_path(), tmp / "ckpt");
  EXPECT_EQ(work.filename().string().rfind(".tmp-step-00001200-", 0), 0u) << work;
  fill_fake_checkpoint(work, 1200);
  fs::create_directory(work / "extra");
  test::write_file(work / "extra" / "nested.bin", "nested");
  fs::path dir = w.commit({{"eval_accuracy", 0.91}});

  EXPECT_EQ(dir, tmp / "ckpt" / "step-00001200");
  EXPECT_FALSE(fs::exists(work));
  EXPECT_TRUE(hidden_entries(tmp / "ckpt").empty());
  EXPECT_EQ(fs::read_symlink(tmp / "ckpt" / "latest"), fs::path("step-00001200"))
      << "the pointer target must be relative so the root can be moved or copied";

  VerifyResult r = verify(dir);
  EXPECT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.step, 1200);
  EXPECT_DOUBLE_EQ(r.metadata.at("eval_accuracy").get<double>(), 0.91);
  EXPECT_EQ(r.files.size(), 9u);  // 8 fake files + extra/nested.bin

  Manifest m = parse_manifest(test::read_file(dir / "manifest.json"), "manifest.json");
  EXPECT_EQ(m.format_version, kManifestFormatVersion);
  EXPECT_FALSE(m.created.empty());
  ASSERT_FALSE(m.files.empty());
  EXPECT_EQ(m.files.front().path, "config.json");  // sorted
  bool nested = false;
  for (const auto& f : m.files) nested |= f.path == "extra/nested.bin";
  EXPECT_TRUE(nested);
}

TEST(CheckpointWriter, LatestFollowsEachCommitAndBestIsSeparate) {
  test::TempDir tmp;
  CheckpointWriter w(tmp.path());
  for (long long step : {100, 200, 300}) {
    w.write(step, [&](const fs::path& d) { fill_fake_checkpoint(d, step); });
    EXPECT_EQ(pointer_name(tmp.path(), "latest"), step_dir_name(step));
  }
  w.mark_best(200);
  EXPECT_EQ(pointer_name(tmp.path(), "best"), "step-00000200");
  EXPECT_EQ(pointer_name(tmp.path(), "latest"), "step-00000300");
  EXPECT_THROW(w.mark_best(999), Error);
  EXPECT_EQ(pointer_name(tmp.path(), "best"), "step-00000200");
}

TEST(CheckpointWriter, RecommittingAStepReplacesItWithTheNewContents) {
  test::TempDir tmp;
  CheckpointWriter w(tmp.path());
  w.write(500, [](const fs::path& d) { fill_fake_checkpoint(d, 500); });
  test::write_file(tmp / "step-00000500" / "only-in-old.txt", "old");
  // e.g. resumed from step 400 and reached step 500 again.
  w.write(500,
          [](const fs::path& d) {
            fill_fake_checkpoint(d, 500);
            test::write_file(d / "rng.bin", "new rng");
          },
          {{"run", 2}});
  fs::path dir = tmp / "step-00000500";
  VerifyResult r = verify(dir);
  EXPECT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.metadata.at("run"), 2);
  EXPECT_EQ(test::read_file(dir / "rng.bin"), "new rng");
  EXPECT_FALSE(fs::exists(dir / "only-in-old.txt"));
  EXPECT_TRUE(hidden_entries(tmp.path()).empty());
  EXPECT_EQ(pointer_name(tmp.path(), "latest"), "step-00000500");
}

TEST(CheckpointWriter, AFailingFillLeavesNoTraceAndKeepsLatest) {
  test::TempDir tmp;
  CheckpointWriter w(tmp.path());
  w.write(100, [](const fs::path& d) { fill_fake_checkpoint(d, 100); });
  EXPECT_THROW(w.write(200,
                       [](const fs::path& d) {
                         test::write_file(d / "config.json", "{}");
                         throw std::runtime_error("disk full");
                       }),
               std::runtime_error);
  EXPECT_TRUE(hidden_entries(tmp.path()).empty());
  EXPECT_FALSE(fs::exists(tmp / "step-00000200"));
  EXPECT_EQ(pointer_name(tmp.path(), "latest"), "step-00000100");
}

TEST(CheckpointWriter, UncommittedWorkIsCleanedAtTheNextConstruction) {
  test::TempDir tmp;
  {
    CheckpointWriter w(tmp.path());
    w.write(100, [](const fs::path& d) { fill_fake_checkpoint(d, 100); });
  }
  // What a crashed process leaves: a filled temp directory nobody will commit.
  fs::path leftover = tmp / ".tmp-step-00000200-99999";
  fs::create_directory(leftover);
  fill_fake_checkpoint(leftover, 200);
  fs::create_symlink("step-00000200", tmp / ".tmp-latest-99999");
  EXPECT_EQ(find_resumable(tmp.path()).chosen->step, 100) << "temp dirs are never resumable";

  CheckpointWriter w(tmp.path());
  EXPECT_TRUE(hidden_entries(tmp.path()).empty());
  EXPECT_TRUE(verify(tmp / "step-00000100").ok());
}

TEST(CheckpointWriter, RecoversAnInterruptedReplacement) {
  test::TempDir tmp;
  {
    CheckpointWriter w(tmp.path());
    w.write(300, [](const fs::path& d) { fill_fake_checkpoint(d, 300); });
  }
  // Died after moving the old step-300 aside, before the new one was renamed in.
  fs::rename(tmp / "step-00000300", tmp / ".old-step-00000300-4242");
  {
    CheckpointWriter w(tmp.path());
    EXPECT_TRUE(verify(tmp / "step-00000300").ok()) << "the old copy must be restored";
    EXPECT_TRUE(hidden_entries(tmp.path()).empty());
  }
  // Died after the new one was renamed in, before the old copy was removed.
  fs::copy(tmp / "step-00000300", tmp / ".old-step-00000300-4242");
  CheckpointWriter w(tmp.path());
  EXPECT_TRUE(verify(tmp / "step-00000300").ok());
  EXPECT_TRUE(hidden_entries(tmp.path()).empty());
}

TEST(CheckpointWriter, CommitWithoutBeginIsAnError) {
  test::TempDir tmp;
  CheckpointWriter w(tmp.path());
  EXPECT_THROW(w.commit(), Error);
  w.begin(1);
  EXPECT_THROW(w.commit(nlohmann::json::array()), Error) << "metadata must be an object";
}

// A run directory copied with its links followed has directories where `latest`/`best` were:
// the writer refuses at construction (before any training), naming the path and the fix.
TEST(CheckpointWriter, APointerThatIsNotASymlinkIsRefusedAtStart) {
  for (const char* pointer : {kLatestPointer, kBestPointer}) {
    test::TempDir tmp;
    {
      CheckpointWriter w(tmp.path());
      fill_fake_checkpoint(w.begin(5), 5);
      w.commit();
      w.mark_best(5);
    }
    fs::path p = tmp / pointer;
    fs::remove(p);
    fs::copy(tmp / "step-00000005", p, fs::copy_options::recursive);
    try {
      CheckpointWriter again(tmp.path());
      ADD_FAILURE() << pointer << " as a directory was accepted";
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(p.string() + " is a directory"), std::string::npos) << what;
      EXPECT_NE(e.hint().find("cp -a"), std::string::npos) << e.hint();
    }
    EXPECT_TRUE(fs::exists(p / "model.safetensors")) << "the copy must be left alone";
  }
}

TEST(CheckpointWriter, SymlinksInsideACheckpointAreRejected) {
  test::TempDir tmp;
  CheckpointWriter w(tmp.path());
  fs::path d = w.begin(7);
  fill_fake_checkpoint(d, 7);
  fs::create_symlink("/etc/hostname", d / "link");
  EXPECT_THROW(w.commit(), Error);
  EXPECT_FALSE(fs::exists(tmp / "step-00000007"));
}

}  // namespace berth::checkpoint
