// Runs a command as on a CPU without AMX: a seccomp filter answers EPERM to
// arch_prctl(ARCH_REQ_XCOMP_PERM), the request Linux requires before a process may use AMX tiles.
// oneDNN, ONNX Runtime's MLAS and Berth (common/cpu_features) all ask for it and fall back to
// their AVX-512 (VNNI, BF16) kernels when refused, so both sides of bench/ort_compare.sh see the
// AVX-512 machine this fleet also has (the one issue 27 was filed on) on an AMX Xeon.
//
// usage: no_amx COMMAND [ARGS...]   (children inherit the filter)
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace {

constexpr unsigned kArchReqXcompPerm = 0x1023;  // asm/prctl.h

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: no_amx COMMAND [ARGS...]\n");
    return 2;
  }
  // Only the low 32 bits of the option are compared: the value fits in them.
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_arch_prctl, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArchReqXcompPerm, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    std::fprintf(stderr, "no_amx: cannot install the seccomp filter: %s\n", std::strerror(errno));
    return 1;
  }
  execvp(argv[1], argv + 1);
  std::fprintf(stderr, "no_amx: cannot run %s: %s\n", argv[1], std::strerror(errno));
  return 127;
}
