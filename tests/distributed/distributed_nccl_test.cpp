// The NCCL communicator's build, without a GPU: its headers compile here, the NCCL library the
// binary links is the one its headers describe, and the process holds one NCCL only (the one
// torch loads), since two copies in one process would fight over the same GPUs.
#include <gtest/gtest.h>
#include <nccl.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "distributed/nccl_communicator.h"

namespace berth::test {
namespace {

TEST(DistributedNccl, LinkedLibraryMatchesTheHeaders) {
  EXPECT_EQ(distributed::NcclCommunicator::header_version(), NCCL_VERSION_CODE);
  EXPECT_EQ(distributed::NcclCommunicator::runtime_version(),
            distributed::NcclCommunicator::header_version())
      << "libnccl and nccl.h come from different NCCL releases";
}

TEST(DistributedNccl, OneNcclAndOneCudaRuntimePerProcess) {
  distributed::NcclCommunicator::runtime_version();  // make sure libnccl is in use
  std::set<std::string> nccl, cudart, torch_cuda;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (path.find("/libnccl.so") != std::string::npos) nccl.insert(path);
    if (path.find("/libcudart.so") != std::string::npos) cudart.insert(path);
    if (path.find("/libtorch_cuda.so") != std::string::npos) torch_cuda.insert(path);
  }
  ASSERT_EQ(nccl.size(), 1u) << "several NCCL libraries are mapped: " << *nccl.begin() << " ...";
  EXPECT_LE(cudart.size(), 1u) << "several CUDA runtimes are mapped: " << *cudart.begin() << " ...";
  // With the pip wheel's layout, torch finds NCCL in ../../nvidia/nccl/lib: it must be ours.
  if (torch_cuda.size() == 1) {
    namespace fs = std::filesystem;
    auto wheel = fs::path(*torch_cuda.begin()).parent_path() / "../../nvidia/nccl/lib/libnccl.so.2";
    if (fs::exists(wheel)) {
      EXPECT_EQ(fs::canonical(wheel), fs::canonical(*nccl.begin()))
          << "Berth uses another libnccl than the one torch loads";
    }
  }
}

}  // namespace
}  // namespace berth::test
