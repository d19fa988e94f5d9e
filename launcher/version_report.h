// What `berth --version` prints: Berth's version and commit and the libraries it runs with
// (LibTorch, CUDA, NCCL, MPI, HDF5), one per line, for bug reports.
#pragma once

#include <string>

namespace berth::launcher {

std::string version_report();

}  // namespace berth::launcher
