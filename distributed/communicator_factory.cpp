#include "distributed/communicator_factory.h"

#include "common/error.h"
#include "distributed/device_choice.h"
#include "distributed/mpi_communicator.h"
#ifdef BERTH_WITH_NCCL
#include "distributed/nccl_communicator.h"
#endif

namespace berth::distributed {

std::unique_ptr<Communicator> start_communicator(bool mpi) {
  if (mpi) return std::make_unique<MpiCommunicator>();
  return std::make_unique<SingleProcessCommunicator>();
}

void place_on_device(std::unique_ptr<Communicator>& comm, const DeviceSetting& setting,
                     const std::string& key) {
  const int gpus = setting.is_cuda() ? visible_gpus() : 0;
  const c10::Device device =
      choose_device(setting, {comm->rank(), comm->local_rank(), comm->local_size()}, gpus, key);
  auto* mpi = dynamic_cast<MpiCommunicator*>(comm.get());
  // On the CPU MPI carries every tensor; CUDA tensors of an MPI job (even of one rank) go
  // through NCCL. A single process reduces nothing.
  if (!device.is_cuda() || !mpi) {
    comm->set_device(device);
    return;
  }
#ifdef BERTH_WITH_NCCL
  // The NCCL communicator owns the MPI one from here on (and ends the job if it cannot start).
  std::unique_ptr<MpiCommunicator> owned(mpi);
  comm.release();
  comm = std::make_unique<NcclCommunicator>(std::move(owned), device.index());
#else
  throw usage_error(
      "launcher",
      key + " is '" + device.str() + "' in an MPI job, but this berth was built without NCCL",
      "build with a CUDA torch and the CUDA toolkit (-DBERTH_CUDA=ON), or use "
      "--set " +
          key + "=cpu");
#endif
}

c10::Device process_device(const DeviceSetting& setting, const std::string& key) {
  return choose_device(setting, {0, 0, 1}, setting.is_cuda() ? visible_gpus() : 0, key);
}

}  // namespace berth::distributed
