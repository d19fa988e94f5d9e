#include "trainer/communicator.h"

namespace berth::trainer {

namespace {
class DoneWork : public CommWork {
 public:
  void wait() override {}
};
}  // namespace

std::unique_ptr<CommWork> SingleProcessCommunicator::all_reduce_sum(at::Tensor&) {
  return std::make_unique<DoneWork>();
}

}  // namespace berth::trainer
