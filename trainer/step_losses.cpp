#include "trainer/step_losses.h"

namespace berth::trainer {

StepLosses::StepLosses(int64_t capacity, at::Device device)
    : log_(at::zeros({capacity, 2}, at::TensorOptions().device(device).dtype(at::kDouble))) {}

void StepLosses::queue(int64_t step, const at::Tensor& loss_and_skip) {
  if (pending_ == 0) first_step_ = step;
  log_.narrow(0, pending_, 1).copy_(loss_and_skip.unsqueeze(0));
  pending_ += 1;
}

std::vector<StepLoss> StepLosses::read(distributed::Communicator& comm) {
  std::vector<StepLoss> out;
  if (pending_ == 0) return out;
  // The copy to the host waits for the queued steps.
  at::Tensor l = log_.narrow(0, 0, pending_).to(at::kCPU).contiguous();
  // The global losses (one all-reduce per window).
  if (comm.world_size() > 1) comm.all_reduce_sum(l)->wait();
  const double* v = l.data_ptr<double>();
  for (int64_t i = 0; i < pending_; ++i)
    out.push_back({first_step_ + i, v[2 * i], v[2 * i + 1] > 0});
  pending_ = 0;
  return out;
}

}  // namespace berth::trainer
