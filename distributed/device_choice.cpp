#include "distributed/device_choice.h"

#include <torch/cuda.h>

#include "common/error.h"

namespace berth::distributed {

c10::Device choose_device(const DeviceSetting& setting, const RankPlace& place, int visible_gpus,
                          const std::string& key) {
  if (!setting.is_cuda()) return c10::Device(c10::kCPU);
  // A command-line flag is changed as itself, a config key with --set.
  const std::string cpu = key.rfind("--", 0) == 0 ? key + " cpu" : "--set " + key + "=cpu";
  if (visible_gpus <= 0) {
    throw usage_error(
        "runtime", key + " is '" + setting.str() + "' but no CUDA device is available on this node",
        "use " + cpu + ", or run on a GPU node");
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
                      "ppr:<gpus>:node, srun --gpus-per-task=1), or use " +
                          cpu);
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

int visible_gpus() {
  return static_cast<int>(torch::cuda::device_count());
}

}  // namespace berth::distributed
