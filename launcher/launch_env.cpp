#include "launcher/launch_env.h"

#include <filesystem>

#include "common/log.h"

namespace berth::launcher {

std::unique_ptr<trainer::Communicator> make_communicator() {
  auto comm = std::make_unique<trainer::SingleProcessCommunicator>();
  log::set_rank(comm->rank(), comm->world_size());
  return comm;
}

void open_rank_log(const std::string& run_dir, const trainer::Communicator& comm) {
  std::filesystem::create_directories(run_dir + "/logs");
  log::add_file_sink(run_dir + "/logs/rank-" + std::to_string(comm.rank()) + ".log");
}

}  // namespace berth::launcher
