#include "common/progress_meter.h"

#include <cstdio>

namespace berth::log {

ProgressMeter::ProgressMeter(std::shared_ptr<spdlog::logger> logger, std::string what,
                             std::string unit)
    : logger_(std::move(logger)), what_(std::move(what)), unit_(std::move(unit)) {}

ProgressMeter::~ProgressMeter() {
  clear_live_line();
}

std::string ProgressMeter::format(const std::string& what, const std::string& unit, int64_t done,
                                  double fraction, double seconds) {
  char buf[256];
  const double rate = done / std::max(seconds, 1e-9);
  int n = std::snprintf(buf, sizeof buf, "%s", what.c_str());
  if (std::isfinite(fraction) && fraction > 0) {
    n += std::snprintf(buf + n, sizeof buf - n, " %3.0f%%", 100 * std::min(fraction, 1.0));
  }
  n += std::snprintf(buf + n, sizeof buf - n, " %lld %s, %.0f %s/s, %.0fs", (long long)done,
                     unit.c_str(), rate, unit.c_str(), seconds);
  if (std::isfinite(fraction) && fraction > 0.01 && fraction < 1) {
    long long eta = static_cast<long long>(seconds * (1 - fraction) / fraction + 0.5);
    std::snprintf(buf + n, sizeof buf - n, ", eta %lldm%02llds", eta / 60, eta % 60);
  }
  return buf;
}

void ProgressMeter::update(int64_t done, double fraction) {
  auto now = Clock::now();
  if (now < next_) return;
  double seconds = std::chrono::duration<double>(now - start_).count();
  std::string line = format(what_, unit_, done, fraction, seconds);
  if (live_progress()) {
    set_live_line(line, true);
    next_ = now + std::chrono::milliseconds(200);
  } else {
    logger_->info(line);
    next_ = now + std::chrono::seconds(30);
  }
}

}  // namespace berth::log
