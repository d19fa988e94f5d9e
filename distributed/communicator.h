// The one interface through which ranks talk. Implementations: single process (here), MPI for
// CPU tensors (mpi_communicator.h) and NCCL for CUDA tensors (nccl_communicator.h).
//
// It also answers what the launcher and the trainer need to know about this rank's place in the
// job, so that neither looks behind the interface: its node-local rank, the device it computes
// on (chosen once, by communicator_factory.h), and how to end the whole job after an error on
// this rank.
// model/, data/ and checkpoint/ know nothing of it (the build checks, see cmake/layering.cmake).
#pragma once

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

#include "common/device_setting.h"

namespace berth::distributed {

// A pending collective; wait() blocks until it completed (or throws on timeout / failure).
class CommWork {
 public:
  virtual ~CommWork() = default;
  virtual void wait() = 0;
};

// This machine's host name (what `hostname` prints; a node's name in a cluster).
std::string this_host();

// Where this rank sits in the job: learnt once, when the communicator starts, and the same for
// every implementation (NCCL's is the MPI communicator's it wraps).
struct RankPlacement {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;  // among the ranks on its node (0 .. local_size - 1): picks its GPU
  int local_size = 1;
  std::vector<std::string> hosts;  // index = rank
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  int rank() const { return placement_.rank; }
  int world_size() const { return placement_.world_size; }
  int local_rank() const { return placement_.local_rank; }
  int local_size() const { return placement_.local_size; }
  // The host rank `rank` runs on (errors about another rank name it: which node was lost); "?"
  // for a rank outside the job.
  std::string host(int rank) const;
  const RankPlacement& placement() const { return placement_; }
  virtual std::string name() const = 0;

  // In-place sum over ranks. The tensor must stay alive until wait() returns.
  virtual std::unique_ptr<CommWork> all_reduce_sum(at::Tensor& t) = 0;
  virtual void broadcast(at::Tensor& t, int root) = 0;
  virtual void broadcast_string(std::string& s, int root) = 0;
  virtual void barrier() = 0;
  // True on every rank when `flag` is true on any rank (stop requests, errors).
  virtual bool any(bool flag) = 0;

  // Seconds a collective may take before it fails (runtime.comm_timeout_s, known only once the
  // config is read, after the communicator started).
  virtual void set_timeout(double seconds) = 0;

  // Ends every process of the job now with exit status `code`, so that the other ranks do not
  // wait for this one until their timeout. Only meaningful with world_size() > 1; a single
  // process just exits.
  [[noreturn]] virtual void abort_job(int code) = 0;

  // The device this rank computes on: CPU until place_on_device() (communicator_factory.h)
  // chose it.
  c10::Device device() const { return device_; }
  bool device_chosen() const { return device_chosen_; }

 protected:
  void set_placement(RankPlacement placement) { placement_ = std::move(placement); }
  void set_device(c10::Device device) {
    device_ = device;
    device_chosen_ = true;
  }

 private:
  friend void place_on_device(std::unique_ptr<Communicator>& comm, const DeviceSetting& setting,
                              const std::string& key);

  RankPlacement placement_;
  c10::Device device_{c10::kCPU};
  bool device_chosen_ = false;
};

class SingleProcessCommunicator : public Communicator {
 public:
  SingleProcessCommunicator() { set_placement({0, 1, 0, 1, {this_host()}}); }
  std::string name() const override { return "single-process"; }
  std::unique_ptr<CommWork> all_reduce_sum(at::Tensor&) override;
  void broadcast(at::Tensor&, int) override {}
  void broadcast_string(std::string&, int) override {}
  void barrier() override {}
  bool any(bool flag) override { return flag; }
  void set_timeout(double) override {}
  [[noreturn]] void abort_job(int code) override;
};

}  // namespace berth::distributed
