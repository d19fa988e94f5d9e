// Logging for model/ code that includes LibTorch headers. LibTorch ships its own (newer) fmt
// headers, which shadow the system fmt that spdlog was built against, so a translation unit that
// sees both torch's include path and spdlog does not compile. These plain-string functions are
// compiled in a torch-free object library (see CMakeLists.txt) and forward to the "model" logger.
#pragma once

#include <string>

namespace berth::model::logging {

void debug(const std::string& message);
void info(const std::string& message);
void warn(const std::string& message);

}  // namespace berth::model::logging
