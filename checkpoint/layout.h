// Names inside a checkpoint root (<checkpoint.dir>), shared by writer, scanner and retention:
//   step-00001200/          a committed checkpoint (8-digit zero-padded step)
//   latest, best            relative symlinks to a step directory
//   .tmp-*                  work in progress or being deleted: never read, removed on next start
//   .old-step-*-<pid>       a step directory moved aside while the same step is re-saved
// Only step-* directories are ever checkpoints: names starting with '.' are invisible to resume.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace berth::checkpoint {

inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kLatestPointer = "latest";
inline constexpr const char* kBestPointer = "best";
inline constexpr const char* kTempPrefix = ".tmp-";
inline constexpr const char* kOldPrefix = ".old-";

// "step-00001200". Steps beyond 8 digits still work (the name just grows); they sort by number.
std::string step_dir_name(std::int64_t step);

// The step of a "step-<digits>" name, or nullopt for any other name.
std::optional<std::int64_t> parse_step_dir_name(const std::string& name);

struct StepDir {
  std::int64_t step = 0;
  std::filesystem::path path;
};

// Every step-* directory directly under `root`, by step number ascending (never by mtime: a
// copied or restored directory has a meaningless mtime). Empty when root does not exist.
std::vector<StepDir> list_step_dirs(const std::filesystem::path& root);

// The step directory a pointer (`latest`, `best`) names, or nullopt when the pointer is absent.
// A pointer whose target is missing is returned as is: callers report it as dangling.
std::optional<std::filesystem::path> read_pointer(const std::filesystem::path& root,
                                                  const std::string& pointer);

}  // namespace berth::checkpoint
