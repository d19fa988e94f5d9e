// What the CPU can do fast, read from /proc/cpuinfo's flags (Linux), and for AMX whether the
// kernel lets this process use it.
#pragma once

#include <string>

namespace berth {

// /proc/cpuinfo's first flags line ("flags : fpu vme ..."), or empty where there is none.
std::string cpu_flags();

// True when the CPU has native bf16 matmul instructions (AVX-512 BF16 or AMX-BF16). Without
// them LibTorch emulates bf16 through fp32 conversions: bf16 matmuls measured on such a CPU ran
// ~9x slower than fp32. Unknown (no /proc/cpuinfo) counts as true, so nothing is warned.
bool cpu_has_fast_bf16();
// As above, from a flags line such as /proc/cpuinfo's "flags : fpu vme ..." (for tests).
bool flags_have_fast_bf16(const std::string& flags);

// True when the CPU has AMX int8 tiles (amx_int8) and the kernel lets this process use them
// (amx_permission_granted), where oneDNN's int8 GEMM beats fbgemm's. Unknown counts as false:
// the int8 path then stays on the kernels without AMX.
bool cpu_has_amx_int8();
// Asks the kernel, once per process, for the AMX tile state (arch_prctl(ARCH_REQ_XCOMP_PERM,
// XFEATURE_XTILEDATA)); false where it refuses (kernels before 5.16, a seccomp filter such as
// bench/no_amx's, containers) or the CPU has no AMX. A CPU whose flags list amx_int8 cannot
// use it without this grant.
bool amx_permission_granted();
// As above, from a flags line.
bool flags_have_amx_int8(const std::string& flags);

// True when the CPU has AVX-512 VNNI (avx512_vnni), whose vpdpbusd sums u8 x s8 products in
// int32 without the int16 saturation of AVX2's vpmaddubsw: fbgemm can then take full 8-bit
// activations. Unknown counts as false.
bool cpu_has_avx512_vnni();
// As above, from a flags line.
bool flags_have_avx512_vnni(const std::string& flags);

// How this process runs bf16 matmuls on the CPU: emulated through fp32 (no bf16 instructions),
// on AVX-512 BF16 alone (no AMX tiles it may use), or on AMX tiles. Unknown: no /proc/cpuinfo.
enum class Bf16Support { kUnknown, kEmulated, kAvx512Bf16, kAmx };
Bf16Support cpu_bf16_support();
// As above, from a flags line and whether the kernel grants the AMX tile state (for tests).
Bf16Support flags_bf16_support(const std::string& flags, bool amx_granted);

// What bf16 is asked for: the warning's figures and hint differ.
enum class Bf16Use { kTraining, kPrediction };

// The warning for bf16 used on a CPU with this support, or "" where bf16 is not slower than
// fp32 there: emulated, or AVX-512 BF16 without AMX (measured 0.64-0.73x fp32's prediction
// throughput and 0.67-0.71x its training samples/s), for both uses.
std::string slow_bf16_warning(Bf16Support support, Bf16Use use);

// Logs slow_bf16_warning under `component` when bf16 is asked for on a CPU device. `device` is
// "cpu", "cuda", "cuda:N".
void warn_if_slow_bf16(const std::string& component, const std::string& precision,
                       const std::string& device, Bf16Use use);

}  // namespace berth
