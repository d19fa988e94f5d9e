// cpu_has_amx_int8 honours the kernel's AMX permission, not only /proc/cpuinfo's flags: under
// bench/no_amx (a seccomp filter refusing arch_prctl(ARCH_REQ_XCOMP_PERM), as old kernels and
// some containers do) it must say false even on a CPU whose flags list amx_int8, or int8 would
// pick the AMX engine for a process that cannot use the tiles.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/cpu_features.h"
#include "tests/support/test_support.h"

namespace berth {
namespace {

// The child's answer, printed for the parent to read (see NoAmxRefusesIt).
constexpr const char* kChildEnv = "BERTH_AMX_PERMISSION_CHILD";

// Whether the kernel can hand out the tile state at all (ARCH_GET_XCOMP_SUPP, which no_amx
// leaves alone): an oracle that does not go through the request cpu_has_amx_int8 makes.
bool kernel_supports_tiles() {
#ifdef SYS_arch_prctl
  constexpr int kArchGetXcompSupp = 0x1021;  // asm/prctl.h
  unsigned long long features = 0;
  if (syscall(SYS_arch_prctl, kArchGetXcompSupp, &features) != 0) return false;
  return (features >> 18) & 1;  // XFEATURE_XTILEDATA
#else
  return false;
#endif
}

TEST(AmxPermission, FlagsAndKernelDecideOutsideAFilter) {
  if (std::getenv(kChildEnv)) GTEST_SKIP() << "the no_amx child runs NoAmxRefusesIt only";
  const bool want = flags_have_amx_int8(cpu_flags()) && kernel_supports_tiles();
  std::cout << "amx_int8 in flags and kernel support: " << want << std::endl;
  EXPECT_EQ(cpu_has_amx_int8(), want);
  EXPECT_EQ(amx_permission_granted(), kernel_supports_tiles());
  EXPECT_EQ(cpu_bf16_support(), flags_bf16_support(cpu_flags(), kernel_supports_tiles()));
}

TEST(AmxPermission, NoAmxRefusesIt) {
  if (std::getenv(kChildEnv)) {
    // Under no_amx: report, and let the parent judge.
    std::cout << "amx_int8=" << cpu_has_amx_int8() << " granted=" << amx_permission_granted()
              << " bf16=" << static_cast<int>(cpu_bf16_support()) << std::endl;
    return;
  }
  if (!flags_have_amx_int8(cpu_flags()) || !kernel_supports_tiles())
    GTEST_SKIP() << "no AMX here: the permission cannot change the answer on this machine";
  const test::CommandResult r = test::run_command(
      std::string(kChildEnv) + "=1 '" BERTH_NO_AMX_BINARY "' /proc/" + std::to_string(getpid()) +
      "/exe --gtest_filter=AmxPermission.NoAmxRefusesIt");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("amx_int8=0 granted=0"), std::string::npos) << r.out;
  // bf16 prediction is then warned about as slow: AVX-512 BF16 without tiles, where the flags
  // say the CPU has them (an AMX CPU has avx512_bf16 too).
  if (cpu_flags().find(" avx512_bf16") != std::string::npos)
    EXPECT_NE(r.out.find("bf16=" + std::to_string(static_cast<int>(Bf16Support::kAvx512Bf16))),
              std::string::npos)
        << r.out;
}

}  // namespace
}  // namespace berth
