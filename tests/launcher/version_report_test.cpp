// `berth --version` names Berth's version and commit and every library bug reports need.
#include "launcher/version_report.h"

#include <gtest/gtest.h>
#include <torch/version.h>

#include <algorithm>

#include "common/version.h"

namespace berth::launcher {
namespace {

TEST(VersionReport, NamesBerthAndTheLibraries) {
  auto report = version_report();
  EXPECT_EQ(report.rfind("berth " + version() + " (commit ", 0), 0u) << report;
  EXPECT_NE(report.find(std::string("LibTorch ") + TORCH_VERSION), std::string::npos) << report;
  for (const char* line : {"\nCUDA runtime ", "\nNCCL ", "\nMPI ", "\nHDF5 "})
    EXPECT_NE(report.find(line), std::string::npos) << line << " missing in\n" << report;
  EXPECT_NE(report.find("Open MPI"), std::string::npos) << report;
#ifdef BERTH_WITH_NCCL
  EXPECT_EQ(report.find("NCCL none"), std::string::npos) << report;
#endif
}

TEST(VersionReport, OneSourceForTheVersion) {
  // project(VERSION) in CMakeLists.txt reaches the code: a dotted triple, not a placeholder.
  auto v = version();
  EXPECT_EQ(std::count(v.begin(), v.end(), '.'), 2) << v;
  EXPECT_FALSE(commit().empty());
}

}  // namespace
}  // namespace berth::launcher
