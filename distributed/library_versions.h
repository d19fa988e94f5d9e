// The versions of the communication libraries this berth runs with, for `berth --version` (which
// users paste into bug reports: a mismatch of NCCL or MPI between nodes is a common cause).
#pragma once

#include <string>

namespace berth::distributed {

std::string mpi_library_version();   // MPI_Get_library_version, first line ("Open MPI v4.1.6, ...")
std::string nccl_version();          // "2.28.9", or why there is none
std::string cuda_runtime_version();  // "13.0 (built with 13.0)", or why there is none

}  // namespace berth::distributed
