// Sums gradients over ranks in buckets of about `bucket_mb` (reverse parameter order, the first
// bucket small so communication starts early). Gradients are summed, not averaged: the loss is
// already normalised by the global number of examples of the optimizer step, which makes N ranks
// with batch b equal to one rank with batch N*b, also for uneven tails.
//
// When the communicator is asynchronous, each bucket's all-reduce is launched from autograd
// hooks as soon as its last gradient is ready, overlapping the rest of backward. On micro-steps
// that are not the last of a gradient accumulation, nothing is communicated. After finish(), the
// .grad of a bucketed parameter is a view of its bucket's buffer, which holds the sum: no copy
// back (the trainer drops the .grad tensors after each optimizer step, so the next backward
// makes fresh ones and the buffers are free to be filled again).
//
// Row-sparse parameters (embedding tables, see row_sparse_reduction.h) stay out of the buckets:
// only the rows whose ids some rank noted with note_rows() are summed. They are launched after
// the last bucket, so that every rank starts its collectives in the same order.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "distributed/communicator.h"

namespace berth::distributed {

struct GradientReducerOptions {
  double bucket_mb = 25.0;
  double first_bucket_mb = 1.0;
  // Indices into the parameters of embedding tables whose gradient is zero outside the rows
  // noted with note_rows() (every id looked up must be noted, on every micro-step).
  std::vector<size_t> row_sparse;
};

class GradientReducer {
 public:
  GradientReducer(std::vector<at::Tensor> params, Communicator& comm,
                  GradientReducerOptions options = {});
  ~GradientReducer();

  // The ids that parameter `param` (one of options.row_sparse) looked up in this micro-step; call
  // before prepare(). Without a call in an optimizer step, that parameter is reduced densely.
  void note_rows(size_t param, const at::Tensor& ids);
  // Call before the backward pass of each micro-step; `sync` is true on the last micro-step of
  // an optimizer step (the one whose gradients are reduced).
  void prepare(bool sync);
  // After backward: waits for every reduction; the .grad tensors then hold the sums.
  void finish();

  // Seconds spent waiting for communication in finish() since the last call (for benchmarks).
  double take_wait_seconds();
  size_t num_buckets() const;
  // Rows of row-sparse parameters summed in the last optimizer step (all such parameters).
  int64_t last_sparse_rows() const;

  struct Impl;  // public so that the autograd hook can reach it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::distributed
