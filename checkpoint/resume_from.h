// --resume: where `berth train` continues from, parsed once from the command line.
//   auto     the most recently written checkpoint that verifies, or a fresh start if none
//   never    a fresh start
//   latest   the `latest` pointer's checkpoint, best the `best` one (each must verify)
//   <DIR>    that checkpoint directory (it must verify)
#pragma once

#include <filesystem>
#include <string>

namespace berth::checkpoint {

struct ResumeFrom {
  enum class Kind { kAuto, kNever, kLatest, kBest, kDirectory };
  Kind kind = Kind::kAuto;
  std::filesystem::path dir;  // kDirectory

  // Any text other than the four names is a directory.
  static ResumeFrom parse(const std::string& text);
  // As the user wrote it (the ranks compare it, messages quote it).
  std::string str() const;
};

}  // namespace berth::checkpoint
