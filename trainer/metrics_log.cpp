#include "trainer/metrics_log.h"

#include <chrono>

#include "common/error.h"

namespace berth::trainer {

MetricsLog::MetricsLog(const std::string& path) : out_(path, std::ios::app) {
  if (!out_) {
    throw usage_error("metrics", "cannot open " + path + " for appending",
                      "check that train.run_dir is writable");
  }
}

void MetricsLog::write(nlohmann::json record) {
  if (!out_.is_open()) return;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  record["time"] = std::chrono::duration<double>(now).count();
  out_ << record.dump() << '\n';
  out_.flush();
  for (const auto& sink : sinks_) sink(record);
}

}  // namespace berth::trainer
