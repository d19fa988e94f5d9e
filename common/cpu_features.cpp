#include "common/cpu_features.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "common/log.h"

namespace berth {

namespace {

// Whether the whitespace-separated `flags` hold any of `names`.
bool flags_have_any(const std::string& flags, std::initializer_list<const char*> names) {
  std::istringstream words(flags);
  std::string w;
  while (words >> w)
    for (const char* name : names)
      if (w == name) return true;
  return false;
}

}  // namespace

std::string cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) return line;
  return {};
}

bool flags_have_fast_bf16(const std::string& flags) {
  return flags_have_any(flags, {"avx512_bf16", "amx_bf16"});
}

bool cpu_has_fast_bf16() {
  const std::string flags = cpu_flags();
  return flags.empty() || flags_have_fast_bf16(flags);
}

bool flags_have_amx_int8(const std::string& flags) {
  return flags_have_any(flags, {"amx_int8"});
}

bool amx_permission_granted() {
#ifdef SYS_arch_prctl
  // Linux (5.16+) hands out AMX's 8 KB tile state only to a process that asks for it; a kernel
  // that refuses (older ones, a seccomp filter, some containers) faults the first tile
  // instruction. The grant is per process and permanent, so one request is enough, and oneDNN
  // makes the same request itself.
  constexpr int kArchReqXcompPerm = 0x1023;  // asm/prctl.h
  constexpr int kXfeatureXtiledata = 18;     // the tile data state component
  static const bool granted = [] {
    if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0) return true;
    log::get("cpu")->debug(
        "the kernel refused AMX (arch_prctl ARCH_REQ_XCOMP_PERM: {}): int8 "
        "stays on kernels without AMX tiles",
        std::strerror(errno));
    return false;
  }();
  return granted;
#else
  return false;  // not x86-64 Linux: no AMX
#endif
}

bool flags_have_avx512_vnni(const std::string& flags) {
  return flags_have_any(flags, {"avx512_vnni"});
}

bool cpu_has_avx512_vnni() {
  return flags_have_avx512_vnni(cpu_flags());
}

bool cpu_has_amx_int8() {
  // The flags say what the CPU has; only the kernel's grant says the process may use it.
  return flags_have_amx_int8(cpu_flags()) && amx_permission_granted();
}

Bf16Support flags_bf16_support(const std::string& flags, bool amx_granted) {
  if (flags.empty()) return Bf16Support::kUnknown;
  if (flags_have_any(flags, {"amx_bf16"}) && amx_granted) return Bf16Support::kAmx;
  // A CPU with AMX whose kernel refuses the tiles runs its AVX-512 BF16 instructions.
  return flags_have_any(flags, {"avx512_bf16"}) ? Bf16Support::kAvx512Bf16 : Bf16Support::kEmulated;
}

Bf16Support cpu_bf16_support() {
  const std::string flags = cpu_flags();
  // The permission is asked only where the flags list AMX: elsewhere the request is pointless.
  return flags_bf16_support(flags, flags_have_any(flags, {"amx_bf16"}) && amx_permission_granted());
}

std::string slow_bf16_warning(Bf16Support support, Bf16Use use) {
  const bool training = use == Bf16Use::kTraining;
  if (support == Bf16Support::kEmulated)
    return "bf16 on this CPU will be slow: it has neither AVX-512 BF16 nor AMX (see /proc/cpuinfo "
           "flags), so bf16 matmuls are emulated (measured ~9x slower than fp32); use fp32" +
           std::string(training ? " (--set train.precision=fp32)" : ", or int8 for prediction");
  if (support != Bf16Support::kAvx512Bf16) return {};
  const std::string why =
      "it has AVX-512 BF16 but no AMX tiles this process may use (no amx_bf16 in /proc/cpuinfo "
      "flags, or the kernel refused the AMX permission)";
  if (training)
    return "bf16 training on this CPU is likely slower than fp32: " + why +
           ", and there it measured 0.67-0.71x fp32's samples/s (BENCHMARKS.md, \"bf16 training "
           "without AMX\"); use --set train.precision=fp32";
  return "bf16 prediction on this CPU is likely slower than fp32: " + why +
         ", and there it measured 0.64-0.73x fp32's throughput (BENCHMARKS.md, \"On a CPU without "
         "AMX\"); use --precision fp32, or --precision int8";
}

void warn_if_slow_bf16(const std::string& component, const std::string& precision,
                       const std::string& device, Bf16Use use) {
  if (precision != "bf16" || device.rfind("cpu", 0) != 0) return;
  const std::string warning = slow_bf16_warning(cpu_bf16_support(), use);
  if (!warning.empty()) log::get(component)->warn("{}", warning);
}

}  // namespace berth
