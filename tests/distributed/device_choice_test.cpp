// The choice of a rank's device (distributed/device_choice.h), made once per rank by the
// communicator factory, and
// the parsing of runtime.device / --device it starts from (common/device_setting.h).
#include "distributed/device_choice.h"

#include <gtest/gtest.h>

#include "common/device_setting.h"
#include "common/error.h"

namespace berth::distributed {
namespace {

DeviceSetting setting(const std::string& text) {
  auto s = DeviceSetting::parse(text);
  EXPECT_TRUE(s.has_value()) << text;
  return s.value_or(DeviceSetting{});
}

std::string error_of(const DeviceSetting& s, RankPlace place, int gpus) {
  try {
    choose_device(s, place, gpus);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << s.str() << " with " << gpus << " GPU(s)";
  return {};
}

TEST(DeviceSetting, ParsesTheDocumentedForms) {
  EXPECT_FALSE(setting("cpu").is_cuda());
  EXPECT_TRUE(setting("cuda").is_cuda());
  EXPECT_EQ(setting("cuda").index, -1);
  EXPECT_EQ(setting("cuda:3").index, 3);
  EXPECT_EQ(setting("cuda:2147483647").index, 2147483647);
  for (const char* text : {"cpu", "cuda", "cuda:0", "cuda:12"})
    EXPECT_EQ(setting(text).str(), text);
}

TEST(DeviceSetting, RejectsEverythingElse) {
  for (const char* text : {"cuda:x", "cuda:", "cuda:99999999999", "cuda:2147483648", "cuda:-1",
                           "cuda:+1", "cuda: 1", "cuda:1x", "CUDA", "gpu", "", " cpu", "mps"})
    EXPECT_FALSE(DeviceSetting::parse(text).has_value()) << "'" << text << "'";
}

TEST(ChooseDevice, CpuNeedsNoGpu) {
  EXPECT_TRUE(choose_device(setting("cpu"), {}, 0).is_cpu());
  EXPECT_TRUE(choose_device(setting("cpu"), {3, 3, 4}, 8).is_cpu());
}

TEST(ChooseDevice, CudaFollowsTheNodeLocalRank) {
  // mpirun -np 8 over two nodes of four GPUs: rank 6 is local rank 2 of 4.
  auto d = choose_device(setting("cuda"), {6, 2, 4}, 4);
  EXPECT_TRUE(d.is_cuda());
  EXPECT_EQ(d.index(), 2);
  EXPECT_EQ(choose_device(setting("cuda"), {0, 0, 1}, 4).index(), 0);
}

TEST(ChooseDevice, OneVisibleGpuIsTheRanksOwn) {
  // srun --gpus-per-task=1 gives each rank its own CUDA_VISIBLE_DEVICES: GPU 0 for every rank.
  EXPECT_EQ(choose_device(setting("cuda"), {3, 3, 4}, 1).index(), 0);
}

TEST(ChooseDevice, ExplicitIndexWins) {
  EXPECT_EQ(choose_device(setting("cuda:1"), {0, 0, 1}, 2).index(), 1);
  EXPECT_EQ(choose_device(setting("cuda:0"), {1, 1, 2}, 2).index(), 0);
}

TEST(ChooseDevice, NoGpuIsAUsageErrorNamingTheKey) {
  auto msg = error_of(setting("cuda"), {}, 0);
  EXPECT_NE(msg.find("runtime.device"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no CUDA device"), std::string::npos) << msg;
}

TEST(ChooseDevice, MoreRanksThanGpusNamesTheRank) {
  auto msg = error_of(setting("cuda"), {5, 5, 6}, 4);
  EXPECT_NE(msg.find("rank 5 (local rank 5 of 6"), std::string::npos) << msg;
  EXPECT_NE(msg.find("needs cuda:5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4 GPU(s)"), std::string::npos) << msg;
  error_of(setting("cuda:7"), {}, 2);
}

}  // namespace
}  // namespace berth::distributed
