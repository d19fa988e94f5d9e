// The losses of the steps not yet read back. A step leaves its loss and fp16 skip flag on the
// device; they are copied into a queue there and read back (and summed over ranks) once per
// logging window, or when the queue is full, so that the host never waits for the device inside
// a step.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "distributed/communicator.h"

namespace berth::trainer {

struct StepLoss {
  int64_t step = 0;
  double loss = 0;       // the global batch's mean loss
  bool skipped = false;  // fp16: inf/NaN gradients, the update was skipped
};

class StepLosses {
 public:
  StepLosses() = default;
  // Room for `capacity` steps on `device`.
  StepLosses(int64_t capacity, at::Device device);

  bool full() const { return pending_ == log_.size(0); }
  // Queues step `step`'s (loss, skipped) pair, a (2,) double tensor on the device.
  void queue(int64_t step, const at::Tensor& loss_and_skip);
  // The queued losses, in step order, summed over ranks (every rank reads at the same steps);
  // waits for the device. Empties the queue.
  std::vector<StepLoss> read(distributed::Communicator& comm);

 private:
  at::Tensor log_;  // (capacity, 2) double
  int64_t pending_ = 0, first_step_ = 0;
};

}  // namespace berth::trainer
