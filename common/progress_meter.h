// Progress of a long command over its input (`berth prep`, `berth predict`): silent for inputs
// done within a few seconds; after that a live line on a terminal ("prep 41% 120000 rows,
// 8400 rows/s, eta 0m08s"), or, when stderr is a file, a plain log line every 30 s.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

#include "common/live_line.h"

namespace berth::log {

class ProgressMeter {
 public:
  // `what` names the work ("prep"), `unit` what is counted ("rows").
  ProgressMeter(std::shared_ptr<spdlog::logger> logger, std::string what, std::string unit);
  ~ProgressMeter();
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  // `done` items so far; `fraction` of the whole in [0, 1] when known (e.g. bytes read / size).
  // Cheap when nothing is due (a clock read): call it per item.
  void update(int64_t done, double fraction = NAN);

  // The line as shown, for a given state (tests).
  static std::string format(const std::string& what, const std::string& unit, int64_t done,
                            double fraction, double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  std::shared_ptr<spdlog::logger> logger_;
  std::string what_, unit_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point next_ = start_ + std::chrono::seconds(3);
};

}  // namespace berth::log
