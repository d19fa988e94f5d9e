#include "launcher/version_report.h"

#include <torch/version.h>

#include "common/version.h"
#include "data/library_version.h"
#include "distributed/library_versions.h"

namespace berth::launcher {

std::string version_report() {
  return "berth " + version() + " (commit " + commit() + ")\n" + "LibTorch " + TORCH_VERSION +
         "\n" + "CUDA runtime " + distributed::cuda_runtime_version() + "\n" + "NCCL " +
         distributed::nccl_version() + "\n" + "MPI " + distributed::mpi_library_version() + "\n" +
         "HDF5 " + data::hdf5_version();
}

}  // namespace berth::launcher
