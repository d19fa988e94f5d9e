// manifest.json: the list of every file in a checkpoint directory with its size and SHA-256,
// plus what the checkpoint is (step, format version, creation time, the trainer's metadata).
// It is written last, so its presence and validity mean the checkpoint was completely written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth::checkpoint {

// Bumped when the manifest's meaning changes incompatibly; readers reject newer versions.
inline constexpr int kManifestFormatVersion = 1;

struct ManifestEntry {
  std::string path;  // relative to the checkpoint directory, '/'-separated
  std::uint64_t size = 0;
  std::string sha256;  // 64 lowercase hex digits
};

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::int64_t step = 0;
  std::string created;                                 // UTC, ISO 8601
  nlohmann::json metadata = nlohmann::json::object();  // from the trainer, e.g. metric values
  std::vector<ManifestEntry> files;  // sorted by path; manifest.json itself is not listed
};

// Hashes every regular file under `dir` (recursively, except manifest.json), fsyncing each one
// while it is open anyway. Anything that is not a regular file or directory (a symlink, a
// socket) is an error: a checkpoint must be self-contained and copyable.
std::vector<ManifestEntry> hash_directory(const std::filesystem::path& dir, bool fsync_files);

std::string manifest_to_json(const Manifest& m);

// Parses manifest text; throws berth::Error (kModel) whose message says what is wrong with it.
// `source` names the file in messages.
Manifest parse_manifest(const std::string& text, const std::string& source);

// The order in which a root's checkpoints were written: the writer stores a counter in each
// manifest's metadata ("sequence": 1 + the largest in the root). 0 for a manifest from a build
// before the counter (such checkpoints order by step among themselves); nullopt when the
// manifest is missing or unreadable (the directory cannot verify anyway).
inline constexpr const char* kSequenceKey = "sequence";
std::optional<std::int64_t> write_sequence(const std::filesystem::path& step_dir);

// The current time as UTC ISO 8601 ("2024-05-01T12:34:56Z").
std::string utc_now_iso8601();

}  // namespace berth::checkpoint
