// The one place that decides which device a rank computes on. The launcher calls it once per
// rank (before it builds an NCCL communicator on that GPU) and hands the answer to the
// communicator (Communicator::use_device); the trainer reads it back from there.
#pragma once

#include <c10/core/Device.h>

#include "common/device_setting.h"

namespace berth::distributed {

struct RankPlace {
  int rank = 0;
  int local_rank = 0;  // among the ranks on this node
  int local_size = 1;
};

// cpu -> CPU. cuda -> the GPU of the node-local rank, or GPU 0 when the rank sees one GPU only (a
// launcher that gives each rank its own CUDA_VISIBLE_DEVICES). cuda:N -> GPU N. Throws a usage
// error naming runtime.device when the node has no GPU or too few for the choice.
c10::Device choose_device(const DeviceSetting& setting, const RankPlace& place, int visible_gpus);

// The number of CUDA devices this process sees (0 in a build without CUDA or on a CPU node).
int visible_gpus();

}  // namespace berth::distributed
