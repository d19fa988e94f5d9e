#include "common/cpu_features.h"

#include <fstream>
#include <sstream>

#include "common/log.h"

namespace berth {

bool flags_have_fast_bf16(const std::string& flags) {
  std::istringstream words(flags);
  std::string w;
  while (words >> w)
    if (w == "avx512_bf16" || w == "amx_bf16") return true;
  return false;
}

namespace {

// /proc/cpuinfo's first flags line, or empty where there is none.
std::string cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) return line;
  return {};
}

}  // namespace

bool cpu_has_fast_bf16() {
  const std::string flags = cpu_flags();
  return flags.empty() || flags_have_fast_bf16(flags);
}

bool flags_have_amx_int8(const std::string& flags) {
  std::istringstream words(flags);
  std::string w;
  while (words >> w)
    if (w == "amx_int8") return true;
  return false;
}

bool cpu_has_amx_int8() {
  return flags_have_amx_int8(cpu_flags());
}

void warn_if_slow_bf16(const std::string& component, const std::string& precision,
                       const std::string& device) {
  if (precision != "bf16" || device.rfind("cpu", 0) != 0 || cpu_has_fast_bf16()) return;
  log::get(component)->warn(
      "bf16 on this CPU will be slow: it has neither AVX-512 BF16 nor AMX (see /proc/cpuinfo "
      "flags), so bf16 matmuls are emulated (measured ~9x slower than fp32); use fp32, or int8 "
      "for prediction");
}

}  // namespace berth
