#include "distributed/library_versions.h"

// The C API only: the deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#ifdef BERTH_WITH_CUDA
#include <cuda_runtime_api.h>
#endif
#ifdef BERTH_WITH_NCCL
#include <nccl.h>
#endif

namespace berth::distributed {

namespace {
std::string dotted(int major, int minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}
}  // namespace

std::string mpi_library_version() {
  // One of the few MPI calls allowed before MPI_Init.
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  if (MPI_Get_library_version(text, &length) != MPI_SUCCESS) return "unknown";
  std::string s(text, static_cast<size_t>(length));
  s = s.substr(0, s.find_first_of("\n\r"));
  while (!s.empty() && (s.back() == ' ' || s.back() == ',' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string nccl_version() {
#ifdef BERTH_WITH_NCCL
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "unknown";
  // 22809 -> 2.28.9 (NCCL >= 2.9 encodes major*10000 + minor*100 + patch).
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
#else
  return "none (built without CUDA)";
#endif
}

std::string cuda_runtime_version() {
#ifdef BERTH_WITH_CUDA
  int v = 0;
  std::string built = dotted(CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10);
  if (cudaRuntimeGetVersion(&v) != cudaSuccess) return "unknown (built with " + built + ")";
  return dotted(v / 1000, v % 1000 / 10) + " (built with " + built + ")";
#else
  return "none (built without CUDA)";
#endif
}

}  // namespace berth::distributed
