// Scoped autocast for the C++ frontend, which has no RAII guard of its own: enables autocast
// for one device type with a given dtype and restores the previous state (and clears the cast
// cache, as Python's torch.autocast does on exit). Autocast state is thread-local.
#pragma once

#include <ATen/autocast_mode.h>

#include <optional>

#include "common/choices.h"

namespace berth::model {

// The autocast dtype of a precision setting (train.precision, --precision): none for fp32.
inline std::optional<at::ScalarType> autocast_dtype(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return at::kBFloat16;
    case Precision::kFp16:
      return at::kHalf;
    case Precision::kFp32:
      break;
  }
  return std::nullopt;
}

class AutocastGuard {
 public:
  // dtype nullopt (fp32 training) makes the guard a no-op.
  AutocastGuard(at::DeviceType device, std::optional<at::ScalarType> dtype) : device_(device) {
    if (!dtype) return;
    active_ = true;
    prev_enabled_ = at::autocast::is_autocast_enabled(device_);
    prev_dtype_ = at::autocast::get_autocast_dtype(device_);
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, *dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, prev_enabled_);
    at::autocast::set_autocast_dtype(device_, prev_dtype_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  at::DeviceType device_;
  bool active_ = false;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

}  // namespace berth::model
