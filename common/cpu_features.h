// What the CPU can do fast, read from /proc/cpuinfo's flags (Linux).
#pragma once

#include <string>

namespace berth {

// True when the CPU has native bf16 matmul instructions (AVX-512 BF16 or AMX-BF16). Without
// them LibTorch emulates bf16 through fp32 conversions: bf16 matmuls measured on such a CPU ran
// ~9x slower than fp32. Unknown (no /proc/cpuinfo) counts as true, so nothing is warned.
bool cpu_has_fast_bf16();
// As above, from a flags line such as /proc/cpuinfo's "flags : fpu vme ..." (for tests).
bool flags_have_fast_bf16(const std::string& flags);

// True when the CPU has AMX int8 tiles (amx_int8), where oneDNN's int8 GEMM beats fbgemm's.
// Unknown counts as false: the int8 path then stays on fbgemm.
bool cpu_has_amx_int8();
// As above, from a flags line.
bool flags_have_amx_int8(const std::string& flags);

// Logs a warning under `component` when bf16 is asked for on a CPU device that would run it
// slowly. `device` is "cpu", "cuda", "cuda:N".
void warn_if_slow_bf16(const std::string& component, const std::string& precision,
                       const std::string& device);

}  // namespace berth
