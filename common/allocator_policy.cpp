#include "common/allocator_policy.h"

#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace berth {

namespace {

constexpr int kMmapThreshold = 256 << 20;  // blocks up to this size come from the heap
constexpr int kTrimThreshold = 512 << 20;  // free space kept at the heap top

bool user_set_malloc_tunables() {
  const char* t = std::getenv("GLIBC_TUNABLES");
  if (t != nullptr && std::strstr(t, "glibc.malloc.") != nullptr) return true;
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

AllocatorPolicy& last() {
  static AllocatorPolicy p{false, "not set"};
  return p;
}

AllocatorPolicy decide() {
#if defined(__GLIBC__)
  const char* opt_out = std::getenv("BERTH_MALLOC");
  if (opt_out != nullptr && std::string(opt_out) == "default")
    return {false, "glibc's defaults kept (BERTH_MALLOC=default)"};
  if (user_set_malloc_tunables())
    return {false, "malloc tunables from the environment kept (GLIBC_TUNABLES or MALLOC_*_)"};
  // Both together: setting either one by hand turns glibc's own adjustment of both off.
  if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 &&
      mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1)
    return {true, "mmap threshold 256 MiB, trim threshold 512 MiB"};
  return {false, "mallopt refused the thresholds"};
#else
  return {false, "not glibc: the allocator is left as it is"};
#endif
}

}  // namespace

AllocatorPolicy apply_allocator_policy() {
  last() = decide();
  return last();
}

const AllocatorPolicy& allocator_policy() {
  return last();
}

void release_free_heap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace berth
