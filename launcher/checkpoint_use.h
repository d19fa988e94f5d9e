// What `berth predict` and `berth eval` check before they load a checkpoint: that the directory
// exists (with a word on `best`, which a run without a dev set never writes) and, where it
// carries a manifest, that every file still has the SHA-256 the manifest lists. A corrupted
// checkpoint used to load silently and predict differently; now it is refused with the verify
// report. Verifying hashes every weight file (a second for BERT-base), so a success is cached
// (~/.cache/berth/verified) under a fingerprint of the directory: per file its name, device,
// inode, size, and modification and status-change times in nanoseconds. Any write to a file
// changes its ctime, which no user call can set back (`touch -r` restores the mtime only), and a
// file replaced by a copy has another inode: such a checkpoint is hashed again. What no
// metadata shows (bit rot on the disk) only `--verify always` finds: it hashes every time.
#pragma once

#include <CLI/CLI.hpp>
#include <array>
#include <memory>
#include <string>

#include "common/choices.h"

namespace berth::launcher {

// --verify: auto (hash unless the cache says this very directory state verified), always (hash,
// whatever the cache says), never (load without checking; --no-verify is its short form).
enum class VerifyMode { kAuto, kAlways, kNever };

// Throws berth::Error (kModel) when `dir` is missing or fails its manifest.
void check_checkpoint_for_use(const std::string& dir, VerifyMode mode);

// The cache key of `dir` as it is now (exposed for tests): changes with any file's name, inode,
// size, mtime or ctime.
std::string checkpoint_fingerprint(const std::string& dir);

// Adds --verify auto|always|never and --no-verify to a command; the returned mode is what they
// said (auto by default).
std::shared_ptr<VerifyMode> add_verify_option(CLI::App* cmd);

}  // namespace berth::launcher

namespace berth {
template <>
struct ChoiceNames<launcher::VerifyMode> {
  static constexpr std::array<const char*, 3> names{"auto", "always", "never"};
};
}  // namespace berth
