// Elapsed time and how durations are shown: one definition for the trainer's log lines, the
// predictor's stats, the communicators' waits and the HTML report.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace berth {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// "3m05s", "2h07m"; `unknown` for a negative or non-finite duration (an ETA not yet known).
inline std::string format_duration(double s, const char* unknown = "?") {
  if (!std::isfinite(s) || s < 0) return unknown;
  const auto t = static_cast<long long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, t % 3600 / 60);
  else
    std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  return buf;
}

}  // namespace berth
