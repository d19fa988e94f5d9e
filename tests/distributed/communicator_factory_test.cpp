// The communicator factory (distributed/communicator_factory.h): the one place that builds a
// process's communicator and decides its device. A single process keeps its communicator and
// remembers the device; an impossible device fails naming the setting the user wrote, and leaves
// the caller a communicator to end the job with.
#include "distributed/communicator_factory.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "distributed/device_choice.h"

namespace berth::distributed {
namespace {

DeviceSetting setting(const std::string& text) {
  return DeviceSetting::parse(text).value_or(DeviceSetting{});
}

TEST(CommunicatorFactory, OneProcessKeepsItsCommunicatorAndRemembersTheDevice) {
  auto comm = start_communicator(/*mpi=*/false);
  auto* before = comm.get();
  EXPECT_EQ(comm->name(), "single-process");
  EXPECT_FALSE(comm->device_chosen());
  place_on_device(comm, setting("cpu"), "runtime.device");
  EXPECT_EQ(comm.get(), before);
  EXPECT_TRUE(comm->device_chosen());
  EXPECT_TRUE(comm->device().is_cpu());
}

TEST(CommunicatorFactory, AMissingGpuNamesTheSettingAndKeepsTheCommunicator) {
  if (visible_gpus() > 0) GTEST_SKIP() << "this machine has a GPU";
  auto comm = start_communicator(/*mpi=*/false);
  try {
    place_on_device(comm, setting("cuda"), "runtime.device");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_NE(std::string(e.what()).find("runtime.device is 'cuda'"), std::string::npos)
        << e.what();
    EXPECT_NE(e.hint().find("--set runtime.device=cpu"), std::string::npos) << e.hint();
  }
  ASSERT_TRUE(comm);
  EXPECT_FALSE(comm->device_chosen());
}

// predict, eval and serve take the same decision, worded for their --device flag.
TEST(CommunicatorFactory, OneProcessCommandsGetTheSameChoice) {
  EXPECT_TRUE(process_device(setting("cpu"), "--device").is_cpu());
  if (visible_gpus() > 0) {
    EXPECT_EQ(process_device(setting("cuda"), "--device"), c10::Device(c10::kCUDA, 0));
    return;
  }
  try {
    process_device(setting("cuda:1"), "--device");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("use --device cpu"), std::string::npos) << e.hint();
  }
}

}  // namespace
}  // namespace berth::distributed
