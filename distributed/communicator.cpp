#include "distributed/communicator.h"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

namespace berth::distributed {

namespace {
class DoneWork : public CommWork {
 public:
  void wait() override {}
};
}  // namespace

std::string this_host() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0 || !*name) return "unknown-host";
  return name;
}

std::string Communicator::host(int rank) const {
  const auto& hosts = placement_.hosts;
  return rank >= 0 && rank < static_cast<int>(hosts.size()) ? hosts[rank] : "?";
}

std::unique_ptr<CommWork> SingleProcessCommunicator::all_reduce_sum(at::Tensor&) {
  return std::make_unique<DoneWork>();
}

void SingleProcessCommunicator::abort_job(int code) {
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace berth::distributed
