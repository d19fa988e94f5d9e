// The one interface through which ranks talk. Implementations: single process (here), MPI for
// CPU tensors and NCCL for CUDA tensors (distributed issue). model/ knows none of them.
#pragma once

#include <ATen/Tensor.h>

#include <memory>
#include <string>

namespace berth::trainer {

// A pending collective; wait() blocks until it completed (or throws on timeout / failure).
class CommWork {
 public:
  virtual ~CommWork() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual int local_rank() const = 0;
  virtual std::string name() const = 0;

  // In-place sum over ranks. The tensor must stay alive until wait() returns.
  virtual std::unique_ptr<CommWork> all_reduce_sum(at::Tensor& t) = 0;
  virtual void broadcast(at::Tensor& t, int root) = 0;
  virtual void broadcast_string(std::string& s, int root) = 0;
  virtual void barrier() = 0;
  // True on every rank when `flag` is true on any rank (stop requests, errors).
  virtual bool any(bool flag) = 0;
};

class SingleProcessCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string name() const override { return "single-process"; }
  std::unique_ptr<CommWork> all_reduce_sum(at::Tensor&) override;
  void broadcast(at::Tensor&, int) override {}
  void broadcast_string(std::string&, int) override {}
  void barrier() override {}
  bool any(bool flag) override { return flag; }
};

}  // namespace berth::trainer
