// Ranks talking through NCCL for CUDA tensors (runtime.device = cuda), one GPU per rank.
//
// The NCCL communicator is created from an ncclUniqueId that rank 0 makes and broadcasts over
// MPI; the MPI communicator it wraps keeps doing what NCCL cannot (strings, any(), CPU tensors
// such as the logged loss and evaluation counts).
//
// Collectives run on a dedicated CUDA stream: the communication stream first waits for an event
// recorded on the caller's current (compute) stream, so the buffer is complete; wait() then
// waits for the completion event on the host, with the deadline runtime.comm_timeout_s, polling
// ncclCommGetAsyncError, and finally makes the compute stream wait for that event. A collective
// that misses its deadline, or an asynchronous NCCL error, aborts the NCCL communicator
// (ncclCommAbort, which releases kernels stuck waiting for a missing peer) and throws
// berth::Error (ExitCode::kDistributed); the launcher then aborts the whole MPI job.
//
// The communicator is non-blocking (ncclConfig_t.blocking = 0) so that initialisation, too, has
// a deadline instead of hanging when a rank never joins.
#pragma once

#include <memory>
#include <string>

#include "distributed/communicator.h"
#include "distributed/mpi_communicator.h"

namespace berth::distributed {

class NcclCommunicator : public Communicator {
 public:
  // Collective over every rank of `mpi`; this rank uses CUDA device `device_index`.
  NcclCommunicator(std::unique_ptr<MpiCommunicator> mpi, int device_index);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  std::string name() const override { return "nccl"; }

  // CUDA tensors go through NCCL, CPU tensors through MPI.
  std::unique_ptr<CommWork> all_reduce_sum(at::Tensor& t) override;
  void broadcast(at::Tensor& t, int root) override;
  void broadcast_string(std::string& s, int root) override;
  void barrier() override;
  bool any(bool flag) override;
  void set_timeout(double seconds) override;
  [[noreturn]] void abort_job(int code) override;

  MpiCommunicator& mpi();
  int device_index() const;

  // The NCCL version of the linked library (e.g. 22809 for 2.28.9), and of the headers compiled
  // against; they must agree, and torch must load the same library (one NCCL per process).
  static int runtime_version();
  static int header_version();

  struct Impl;

 private:
  void init();
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::distributed
