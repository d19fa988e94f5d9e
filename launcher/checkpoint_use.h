// What `berth predict` and `berth eval` check before they load a checkpoint: that the directory
// exists (with a word on `best`, which a run without a dev set never writes) and, where it
// carries a manifest, that every file still has the SHA-256 the manifest lists. A corrupted
// checkpoint used to load silently and predict differently; now it is refused with the verify
// report. Verifying hashes every weight file (a second for BERT-base), so a success is cached by
// path, size and modification time of each file; --no-verify skips the check.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace berth::launcher {

// Throws berth::Error (kModel) when `dir` is missing or fails its manifest.
void check_checkpoint_for_use(const std::string& dir, bool verify);

// Adds --no-verify to a command; the returned flag is true unless it was given.
std::shared_ptr<bool> add_verify_option(CLI::App* cmd);

}  // namespace berth::launcher
