#include "common/device_setting.h"

#include <climits>

namespace berth {

std::string DeviceSetting::str() const {
  if (kind == Kind::kCpu) return "cpu";
  return index < 0 ? "cuda" : "cuda:" + std::to_string(index);
}

std::optional<DeviceSetting> DeviceSetting::parse(const std::string& text) {
  if (text == "cpu") return DeviceSetting{};
  if (text == "cuda") return DeviceSetting{Kind::kCuda, -1};
  const std::string prefix = "cuda:";
  if (text.compare(0, prefix.size(), prefix) != 0 || text.size() == prefix.size()) return {};
  // Digits only (no sign, no spaces), and no more than an int holds: std::stoi would accept
  // "cuda:1x" and throw std::out_of_range (an internal error) on "cuda:99999999999".
  long long index = 0;
  for (size_t i = prefix.size(); i < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return {};
    index = index * 10 + (c - '0');
    if (index > INT_MAX) return {};
  }
  return DeviceSetting{Kind::kCuda, static_cast<int>(index)};
}

}  // namespace berth
