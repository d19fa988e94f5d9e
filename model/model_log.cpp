#include "model/model_log.h"

#include "common/log.h"

namespace berth::model::logging {

void debug(const std::string& message) {
  berth::log::get("model")->debug("{}", message);
}
void info(const std::string& message) {
  berth::log::get("model")->info("{}", message);
}
void warn(const std::string& message) {
  berth::log::get("model")->warn("{}", message);
}

}  // namespace berth::model::logging
