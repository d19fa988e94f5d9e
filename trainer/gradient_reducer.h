// Sums gradients over ranks in buckets of about `bucket_mb` (reverse parameter order, the first
// bucket small so communication starts early). Gradients are summed, not averaged: the loss is
// already normalised by the global number of examples of the optimizer step, which makes N ranks
// with batch b equal to one rank with batch N*b, also for uneven tails.
//
// When the communicator is asynchronous, each bucket's all-reduce is launched from autograd
// hooks as soon as its last gradient is ready, overlapping the rest of backward. On micro-steps
// that are not the last of a gradient accumulation, nothing is communicated.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "trainer/communicator.h"

namespace berth::trainer {

class GradientReducer {
 public:
  GradientReducer(std::vector<at::Tensor> params, Communicator& comm, double bucket_mb = 25.0,
                  double first_bucket_mb = 1.0);
  ~GradientReducer();

  // Call before the backward pass of each micro-step; `sync` is true on the last micro-step of
  // an optimizer step (the one whose gradients are reduced).
  void prepare(bool sync);
  // After backward: waits for every bucket and copies the sums back into the .grad tensors.
  void finish();

  // Seconds spent waiting for communication in finish() since the last call (for benchmarks).
  double take_wait_seconds();
  size_t num_buckets() const;

  struct Impl;  // public so that the autograd hook can reach it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::trainer
