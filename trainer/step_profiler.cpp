#include "trainer/step_profiler.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <filesystem>
#include <set>

#include "common/error.h"

namespace berth::trainer {

namespace prof = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

StepProfiler::StepProfiler(std::string path) : path_(std::move(path)) {
  // Input shapes make the GEMMs of the trace tell their sizes (bench/profile_table.py counts
  // their FLOPs from them).
  ProfilerConfig config(ProfilerState::KINETO, /*report_input_shapes=*/true);
  const std::set<ActivityType> activities{ActivityType::CPU};
  prof::prepareProfiler(config, activities);
  prof::enableProfiler(config, activities);
  active_ = true;
}

StepProfiler::~StepProfiler() {
  if (!active_) return;
  try {
    stop();
  } catch (...) {
    // A destructor during unwinding must not throw; the trace is lost, the run goes on.
  }
}

const std::string& StepProfiler::stop() {
  if (!active_) return path_;
  active_ = false;
  auto result = prof::disableProfiler();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  try {
    result->save(path_);
  } catch (const std::exception& e) {
    throw usage_error("trainer", "cannot write the step profile " + path_ + ": " + e.what(),
                      "set train.run_dir to a writable directory");
  }
  return path_;
}

}  // namespace berth::trainer
