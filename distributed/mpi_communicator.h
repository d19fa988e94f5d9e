// Ranks talking through MPI (CPU tensors): one rank per process, launched by mpirun or srun.
//
// Every MPI call is made by one communication thread that owns a FIFO of collectives. Callers
// post a collective and get a CommWork back; the thread starts it (non-blocking MPI call) and
// polls MPI_Test until it completes. This gives three things at once:
//  - overlap: Open MPI's non-blocking collectives only progress inside MPI calls, and the thread
//    keeps calling while backward computes the next buckets;
//  - a deadline: a collective that has not completed within the timeout
//    (runtime.comm_timeout_s) fails with berth::Error (ExitCode::kDistributed) instead of hanging;
//  - a diagnosis: while idle or polling, the thread answers small "where are you?" messages on a
//    duplicate of MPI_COMM_WORLD. A rank whose collective times out asks every other rank, and
//    the error says which ranks were waiting with it, which were alive but had not reached the
//    collective (busy, or hung in computation), and which did not answer at all (stopped, killed,
//    or stuck in a way that also froze this thread).
// Collectives are started strictly in posting order, one at a time, so every rank starts them in
// the same order (an MPI requirement) even for two-phase ones such as broadcast_string.
//
// Needs MPI_THREAD_SERIALIZED (the thread and the constructor/destructor never call MPI at the
// same time). An MPI that is already initialised is adopted and left initialised.
#pragma once

#include <memory>
#include <string>

#include "distributed/communicator.h"

namespace berth::distributed {

class MpiCommunicator : public Communicator {
 public:
  explicit MpiCommunicator(double timeout_s = 300);
  // Finalises MPI (when this object initialised it), unless the job is being aborted or a
  // collective failed (finalising would then wait for the missing ranks forever).
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  std::string name() const override { return "mpi"; }

  // CPU tensors (contiguous float, double, int32 or int64), summed in place.
  std::unique_ptr<CommWork> all_reduce_sum(at::Tensor& t) override;
  void broadcast(at::Tensor& t, int root) override;
  void broadcast_string(std::string& s, int root) override;
  void barrier() override;
  bool any(bool flag) override;

  void set_timeout(double seconds) override;
  double timeout() const;

  // MPI_Abort, made by the communication thread (MPI_THREAD_SERIALIZED). Does not return.
  [[noreturn]] void abort_job(int code) override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::distributed
