// Berth's per-user cache ($XDG_CACHE_HOME/berth, else ~/.cache/berth): prepared corpora and
// the record of verified checkpoints live in sub-directories of it.
#pragma once

#include <filesystem>
#include <string>

namespace berth {

// The cache directory for `sub` ("corpora", "verified"); empty when neither XDG_CACHE_HOME
// nor HOME is set.
std::filesystem::path user_cache_dir(const std::string& sub);

}  // namespace berth
