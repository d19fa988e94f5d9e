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
using testing::flip_byte;

namespace {

// --resume as the command line gives it.
std::optional<std::filesystem::path> resume_from(const std::filesystem::path& root,
                                                 const std::string& spec) {
  return resolve_resume(root, ResumeFrom::parse(spec));
}

// Three committed checkpoints 100, 200, 300 under tmp; latest -> 300.
void write_three(const fs::path& root) {
  CheckpointWriter w(root);
  for (long long s : {100, 200, 300}) {
    w.write(s, [&](const fs::path& d) { fill_fake_checkpoint(d, s); }, {{"acc", s / 1000.0}});
  }
}

const FileCheck* find_file(const VerifyResult& r, const std::string& path) {
  for (const auto& f : r.files)
    if (f.path == path) return &f;
  return nullptr;
}

}  // namespace

TEST(Verify, AFlippedByteIsAChecksumMismatchNamingTheFile) {
  test::TempDir tmp;
  write_three(tmp.path());
  flip_byte(tmp / "step-00000300" / "model.safetensors");
  VerifyResult r = verify(tmp / "step-00000300");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("model.safetensors: checksum mismatch"), std::string::npos)
      << r.problems[0];
  const FileCheck* f = find_file(r, "model.safetensors");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, FileCheck::Status::kChecksumMismatch);
  EXPECT_EQ(find_file(r, "vocab.txt")->status, FileCheck::Status::kOk);
}

TEST(Verify, MissingAndTruncatedFilesAreReported) {
  test::TempDir tmp;
  write_three(tmp.path());
  fs::path d = tmp / "step-00000200";
  fs::remove(d / "rng.bin");
  fs::resize_file(d / "optimizer.safetensors", 10);
  VerifyResult r = verify(d);
  EXPECT_EQ(find_file(r, "rng.bin")->status, FileCheck::Status::kMissing);
  EXPECT_EQ(find_file(r, "optimizer.safetensors")->status, FileCheck::Status::kSizeMismatch);
  EXPECT_EQ(r.problems.size(), 2u) << r.summary();
}

TEST(Verify, ExtraFilesAreNotesNotProblems) {
  test::TempDir tmp;
  write_three(tmp.path());
  fs::path d = tmp / "step-00000100";
  test::write_file(d / "README.md", "copied to the shared drive");
  VerifyResult r = verify(d);
  EXPECT_TRUE(r.ok()) << r.summary();
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("README.md"), std::string::npos);
  EXPECT_EQ(find_file(r, "README.md")->status, FileCheck::Status::kExtra);
}

TEST(Verify, MissingTruncatedOrForeignManifests) {
  test::TempDir tmp;
  write_three(tmp.path());
  fs::path d = tmp / "step-00000300";
  std::string manifest = test::read_file(d / "manifest.json");

  test::write_file(d / "manifest.json", manifest.substr(0, manifest.size() / 2));
  VerifyResult truncated = verify(d);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.summary().find("not valid JSON"), std::string::npos) << truncated.summary();

  test::write_file(d / "manifest.json", "{\"format\": \"something-else\"}");
  EXPECT_NE(verify(d).summary().find("berth-checkpoint"), std::string::npos);

  std::string escaping = manifest;
  auto pos = escaping.find("\"config.json\"");
  escaping.replace(pos, 13, "\"../../etc/passwd\"");
  test::write_file(d / "manifest.json", escaping);
  EXPECT_NE(verify(d).summary().find("leaves the checkpoint"), std::string::npos);

  fs::remove(d / "manifest.json");
  VerifyResult missing = verify(d);
  EXPECT_NE(missing.summary().find("manifest.json: missing"), std::string::npos);
}

TEST(Verify, ACheckpointCopiedUnderAnotherStepNameIsRejected) {
  test::TempDir tmp;
  write_three(tmp.path());
  fs::copy(tmp / "step-00000100", tmp / "step-00000400");
  VerifyResult r = verify(tmp / "step-00000400");
  EXPECT_NE(r.summary().find("does not match the directory name"), std::string::npos);
}

TEST(FindResumable, SkipsCorruptNewerCheckpointsAndSaysWhy) {
  test::TempDir tmp;
  write_three(tmp.path());
  flip_byte(tmp / "step-00000300" / "model.safetensors");
  fs::remove(tmp / "step-00000200" / "manifest.json");  // as if killed before the manifest
  ResumeChoice c = find_resumable(tmp.path());
  ASSERT_TRUE(c.chosen);
  EXPECT_EQ(c.chosen->step, 100);
  EXPECT_EQ(c.chosen->dir, tmp / "step-00000100");
  // Without its manifest, 200's write order is unknown: it is tried (and reported) first.
  ASSERT_EQ(c.skipped.size(), 2u);
  EXPECT_EQ(c.skipped[0].step, 200);
  EXPECT_NE(c.skipped[0].reason.find("manifest.json: missing"), std::string::npos);
  EXPECT_EQ(c.skipped[1].step, 300);
  EXPECT_NE(c.skipped[1].reason.find("model.safetensors: checksum mismatch"), std::string::npos);
}

// Manifests from builds before the write sequence: by step number (never by name or mtime).
TEST(FindResumable, WithoutWriteSequencesOrdersByStepNumberNotByName) {
  test::TempDir tmp;
  CheckpointWriter w(tmp.path());
  // 9-digit step sorts after 8-digit ones numerically but before them as a string.
  w.write(123456789, [](const fs::path& d) { fill_fake_checkpoint(d, 123456789); });
  w.write(99999999, [](const fs::path& d) { fill_fake_checkpoint(d, 99999999); });
  for (const char* name : {"step-123456789", "step-99999999"}) {
    auto path = tmp / name / "manifest.json";
    Manifest m = parse_manifest(test::read_file(path), path.string());
    ASSERT_EQ(m.metadata.erase(kSequenceKey), 1u);
    test::write_file(path, manifest_to_json(m));
    EXPECT_EQ(write_sequence(tmp / name), std::optional<std::int64_t>(0));
  }
  ResumeChoice c = find_resumable(tmp.path());
  ASSERT_TRUE(c.chosen);
  EXPECT_EQ(c.chosen->step, 123456789);
  EXPECT_TRUE(find_resumable(tmp / "absent").chosen == std::nullopt);
}

// A run resumed from an older checkpoint branches off: what it writes is resumed next, not the
// higher steps the abandoned run left; a damaged one falls back by write order.
TEST(FindResumable, TheMostRecentlyWrittenCheckpointWinsOverAHigherStep) {
  test::TempDir tmp;
  {
    CheckpointWriter first(tmp.path());
    for (int step : {100, 300})
      first.write(step, [&](const fs::path& d) { fill_fake_checkpoint(d, step); });
  }
  CheckpointWriter branch(tmp.path());  // a new process: the sequence continues from the root
  branch.write(200, [](const fs::path& d) { fill_fake_checkpoint(d, 200); });
  EXPECT_EQ(write_sequence(tmp / "step-00000100"), std::optional<std::int64_t>(1));
  EXPECT_EQ(write_sequence(tmp / "step-00000300"), std::optional<std::int64_t>(2));
  EXPECT_EQ(write_sequence(tmp / "step-00000200"), std::optional<std::int64_t>(3));
  ResumeChoice c = find_resumable(tmp.path());
  ASSERT_TRUE(c.chosen);
  EXPECT_EQ(c.chosen->step, 200);
  EXPECT_TRUE(c.skipped.empty());

  flip_byte(tmp / "step-00000200" / "model.safetensors");
  c = find_resumable(tmp.path());
  ASSERT_TRUE(c.chosen);
  EXPECT_EQ(c.chosen->step, 300);
  ASSERT_EQ(c.skipped.size(), 1u);
  EXPECT_EQ(c.skipped[0].step, 200);
}

TEST(ResolveResume, AutoFallsBackAndExplicitDirectoriesMustVerify) {
  test::TempDir tmp;
  write_three(tmp.path());
  CheckpointWriter(tmp.path()).mark_best(200);
  flip_byte(tmp / "step-00000300" / "rng.bin");

  EXPECT_EQ(resume_from(tmp.path(), "auto"), tmp / "step-00000200");
  EXPECT_EQ(resume_from(tmp.path(), "best"), tmp / "step-00000200");
  EXPECT_EQ(resume_from(tmp.path(), (tmp / "step-00000100").string()), tmp / "step-00000100");
  try {
    resume_from(tmp.path(), "latest");
    FAIL() << "latest points at a corrupt checkpoint";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel);
    EXPECT_EQ(e.component(), "checkpoint");
    EXPECT_NE(e.message().find("rng.bin: checksum mismatch"), std::string::npos) << e.message();
    EXPECT_NE(e.hint().find("--resume auto"), std::string::npos);
  }
  EXPECT_THROW(resume_from(tmp.path(), (tmp / "step-00000300").string()), Error);

  test::TempDir empty;
  EXPECT_EQ(resume_from(empty.path(), "auto"), std::nullopt);
  EXPECT_EQ(resume_from(tmp.path(), "never"), std::nullopt);  // even with checkpoints there
  EXPECT_THROW(resume_from(empty.path(), "latest"), Error);
}

// The messages of the wrong --resume values say what to do (they used to print a verify command
// with no path, and advise --resume auto where auto starts from scratch).
TEST(ResolveResume, WrongValuesSayWhatToDo) {
  test::TempDir empty;
  try {
    resume_from(empty.path(), "bogus");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_NE(e.message().find("--resume bogus: no such checkpoint directory"), std::string::npos)
        << e.message();
    EXPECT_NE(e.hint().find("auto, never, latest, best"), std::string::npos) << e.hint();
  }
  try {
    resume_from(empty.path(), "latest");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("start from scratch"), std::string::npos) << e.hint();
  }
  try {
    resume_from(empty.path(), "best");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("dev evaluation"), std::string::npos) << e.hint();
  }
  // A relative directory that fails to verify names a verify command with a real path.
  test::TempDir tmp;
  write_three(tmp.path());
  flip_byte(tmp / "step-00000300" / "rng.bin");
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(tmp.path());
  try {
    resume_from(tmp.path(), "step-00000300");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("berth checkpoint verify " + tmp.path().string() + "`"),
              std::string::npos)
        << e.hint();
  }
  std::filesystem::current_path(cwd);
}

// Found by fuzz/fuzz_manifest: a number too large for a double is nlohmann's out_of_range, not a
// parse_error, and escaped as an "internal error" (exit 1) from verify and resume.
TEST(ParseManifest, AnOverflowingNumberIsAManifestErrorNotACrash) {
  try {
    parse_manifest("{\"format\": \"berth-checkpoint\", \"format_version\": 1e718293}",
                   "manifest.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel);
    EXPECT_NE(e.message().find("not valid JSON"), std::string::npos) << e.message();
  }
  // And: a "format" that is no string made the type check itself throw.
  EXPECT_THROW(parse_manifest("{\"format\": [1]}", "manifest.json"), Error);
  // Also found by it: a float where an integer belongs was cast (undefined behaviour for 9e85).
  try {
    parse_manifest(
        "{\"format\": \"berth-checkpoint\", \"format_version\": 1, \"step\": 3, \"files\": "
        "[{\"path\": \"a\", \"size\": 9e85, \"sha256\": \"00\"}]}",
        "manifest.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel);
    EXPECT_NE(e.message().find("\"size\" is not an integer"), std::string::npos) << e.message();
  }
}

}  // namespace berth::checkpoint
