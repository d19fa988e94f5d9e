#include "common/fast_exit.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace berth {

namespace {

constexpr bool kSanitizedForLeaks =
#if defined(__SANITIZE_ADDRESS__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

}  // namespace

bool fast_exit_enabled() {
  if (kSanitizedForLeaks) return false;  // LeakSanitizer reports from an atexit handler
  const char* opt = std::getenv("BERTH_FAST_EXIT");
  return opt == nullptr || std::strcmp(opt, "0") != 0;
}

void fast_exit(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::clog.flush();
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
  std::fflush(nullptr);
  if (!fast_exit_enabled()) std::exit(code);
  std::_Exit(code);
}

}  // namespace berth
