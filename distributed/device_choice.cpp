#include "distributed/device_choice.h"

#include <torch/cuda.h>

#include "common/error.h"

namespace berth::distributed {

c10::Device choose_device(const DeviceSetting& setting, const RankPlace& place, int visible_gpus) {
  if (!setting.is_cuda()) return c10::Device(c10::kCPU);
  if (visible_gpus <= 0) {
    throw usage_error(
        "runtime",
        "runtime.device is '" + setting.str() + "' but no CUDA device is available on this node",
        "use --set runtime.device=cpu, or run on a GPU node");
  }
  int index = setting.index >= 0 ? setting.index : (visible_gpus == 1 ? 0 : place.local_rank);
  if (index >= visible_gpus) {
    throw usage_error("launcher",
                      "rank " + std::to_string(place.rank) + " (local rank " +
                          std::to_string(place.local_rank) + " of " +
                          std::to_string(place.local_size) +
                          " on this node) needs cuda:" + std::to_string(index) +
                          " but the node shows " + std::to_string(visible_gpus) + " GPU(s)",
                      "start at most one rank per GPU on each node (mpirun --map-by "
                      "ppr:<gpus>:node, srun --gpus-per-task=1), or use runtime.device=cpu");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

int visible_gpus() {
  return static_cast<int>(torch::cuda::device_count());
}

}  // namespace berth::distributed
