// The exact sum over ranks of a gradient that is zero outside a few rows: an embedding table's
// weight, whose gradient has non-zero rows only for the ids looked up in the step. The word
// embeddings of BERT are half of all gradient bytes (30522 x 384 floats for MiniLM), but a batch
// touches a few thousand rows at most; summing only the rows some rank touched sends a few MB
// instead of the whole table.
//
// Each rank marks the ids it looked up in a (rows) int32 indicator; one all-reduce of it gives
// every rank the same union, in the same (ascending) order. Those rows are packed, summed and
// written back. A row in no rank's batch is exactly zero on every rank, so its dense sum is that
// same zero, and the result equals the dense all-reduce bit for bit on two ranks (on more, up to
// the order in which the MPI library adds, exactly as for the dense sum).
#pragma once

#include <ATen/ATen.h>

#include <memory>

#include "distributed/communicator.h"

namespace berth::distributed {

class RowSparseReduction {
 public:
  // `rows` x ... gradients on `device`.
  RowSparseReduction(int64_t rows, at::Device device, Communicator& comm);

  // Forgets the rows noted so far (start of an optimizer step).
  void reset();
  // The ids (any shape, integer, values in [0, rows)) this rank looked up in the current
  // micro-step. Every id whose row may have a non-zero gradient must be noted.
  void note_rows(const at::Tensor& ids);
  bool noted() const { return noted_; }
  // Starts the all-reduce of the indicator: after the last note_rows of the optimizer step, on
  // every rank in the same order relative to other collectives (it may run during forward).
  void start_union();
  // Packs the union's rows of `grad` (rows, ...) and starts their all-reduce. `grad` must stay
  // alive and untouched until finish().
  void launch(const at::Tensor& grad);
  bool launched() const { return static_cast<bool>(work_); }
  // Waits for the sums and writes them into the union's rows of `grad`.
  void finish(at::Tensor& grad);

  // Rows summed by the last launch (for logs and tests).
  int64_t last_rows() const { return last_rows_; }

 private:
  int64_t rows_;
  Communicator* comm_;
  at::Tensor indicator_;  // (rows) int32: how many ranks looked each row up
  std::unique_ptr<CommWork> union_work_;
  at::Tensor index_;   // (k) int64: the union, ascending
  at::Tensor packed_;  // (k, ...) the union's rows, summed in place
  std::unique_ptr<CommWork> work_;
  bool noted_ = false;
  int64_t last_rows_ = 0;
};

}  // namespace berth::distributed
