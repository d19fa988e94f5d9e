// The rule that decides which device a rank, or a one-process command, computes on. Only the
// communicator factory (communicator_factory.h) calls it: a rank's communicator carries the
// answer (the trainer reads it from there), a one-process command gets it from
// process_device().
#pragma once

#include <c10/core/Device.h>

#include <string>

#include "common/device_setting.h"

namespace berth::distributed {

struct RankPlace {
  int rank = 0;
  int local_rank = 0;  // among the ranks on this node
  int local_size = 1;
};

// cpu -> CPU. cuda -> the GPU of the node-local rank, or GPU 0 when the rank sees one GPU only (a
// launcher that gives each rank its own CUDA_VISIBLE_DEVICES). cuda:N -> GPU N. Throws a usage
// error naming `key` (the setting: runtime.device, --device) when the node has no GPU or too few
// for the choice.
c10::Device choose_device(const DeviceSetting& setting, const RankPlace& place, int visible_gpus,
                          const std::string& key = "runtime.device");

// The number of CUDA devices this process sees (0 in a build without CUDA or on a CPU node).
int visible_gpus();

}  // namespace berth::distributed
