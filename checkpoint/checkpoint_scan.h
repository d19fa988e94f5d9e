// Reading side of checkpoints: verifying a directory against its manifest, and choosing what to
// resume from. Never modifies anything (safe on a checkpoint another job is writing).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/resume_from.h"

namespace berth::checkpoint {

struct FileCheck {
  enum class Status { kOk, kMissing, kSizeMismatch, kChecksumMismatch, kUnreadable, kExtra };
  std::string path;  // relative to the checkpoint directory
  Status status = Status::kOk;
  std::string detail;  // what differs, for messages
};

const char* to_string(FileCheck::Status s);

struct VerifyResult {
  std::filesystem::path dir;
  std::optional<std::int64_t> step;   // from the manifest, when it parsed
  nlohmann::json metadata;            // from the manifest, when it parsed
  std::vector<FileCheck> files;       // every listed file, then extra files
  std::vector<std::string> problems;  // each makes the checkpoint unusable
  std::vector<std::string> notes;     // harmless (e.g. files not in the manifest)
  bool ok() const { return problems.empty(); }
  // The problems joined into one line, for skip reasons and error messages.
  std::string summary() const;
};

// Checks `dir` against its manifest.json: every listed file present with its size and SHA-256.
// Files the manifest does not list are notes, not problems (a user may add a README).
VerifyResult verify(const std::filesystem::path& dir);

struct SkippedCheckpoint {
  std::int64_t step = 0;
  std::filesystem::path dir;
  std::string reason;
};

struct ResumeChoice {
  std::optional<VerifyResult> chosen;      // the most recently written one that verifies
  std::vector<SkippedCheckpoint> skipped;  // written later but failed, most recent first
};

// The most recently written step-* directory under `root` whose manifest verifies (by the
// manifests' write sequence, then by step number: see write_sequence()), and why each one
// written after it was skipped. Earlier directories are not verified (hashing GBs costs minutes).
ResumeChoice find_resumable(const std::filesystem::path& root);

// What `--resume` resumes from, for checkpoint root `root`:
//   auto          -> find_resumable(root), logging the choice and every skip; nullopt when
//                    there is no valid checkpoint (the caller starts from scratch);
//   never         -> nullopt;
//   latest, best  -> the step directory that pointer names, which must verify;
//   a directory   -> that directory, which must verify.
// A named checkpoint that does not verify is a berth::Error (kModel) saying what is wrong.
std::optional<std::filesystem::path> resolve_resume(const std::filesystem::path& root,
                                                    const ResumeFrom& from);

// Throws berth::Error (kModel) listing what is wrong unless `dir` verifies.
void require_valid(const std::filesystem::path& dir);

}  // namespace berth::checkpoint
