#include "common/error.h"

namespace berth {

namespace {
std::string compose(const std::string& component, const std::string& message,
                    const std::string& hint) {
  std::string s = "[" + component + "] " + message;
  if (!hint.empty()) s += "\n  hint: " + hint;
  return s;
}
}  // namespace

Error::Error(std::string component, std::string message, std::string hint, ExitCode code)
    : std::runtime_error(compose(component, message, hint)),
      component_(std::move(component)),
      message_(std::move(message)),
      hint_(std::move(hint)),
      code_(code) {}

Error usage_error(const std::string& component, const std::string& message,
                  const std::string& hint) {
  return Error(component, message, hint, ExitCode::kUsage);
}
Error data_error(const std::string& component, const std::string& message,
                 const std::string& hint) {
  return Error(component, message, hint, ExitCode::kData);
}
Error model_error(const std::string& component, const std::string& message,
                  const std::string& hint) {
  return Error(component, message, hint, ExitCode::kModel);
}

}  // namespace berth
