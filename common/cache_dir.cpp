#include "common/cache_dir.h"

#include <cstdlib>

namespace berth {

std::filesystem::path user_cache_dir(const std::string& sub) {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::filesystem::path(x) / "berth" / sub;
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::filesystem::path(h) / ".cache" / "berth" / sub;
  return {};
}

}  // namespace berth
