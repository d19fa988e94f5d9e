#include "distributed/row_sparse_reduction.h"

namespace berth::distributed {

RowSparseReduction::RowSparseReduction(int64_t rows, at::Device device, Communicator& comm)
    : rows_(rows),
      comm_(&comm),
      indicator_(at::zeros({rows}, at::dtype(at::kInt).device(device))) {}

void RowSparseReduction::reset() {
  if (noted_) indicator_.zero_();
  noted_ = false;
  union_work_.reset();
  work_.reset();
}

void RowSparseReduction::note_rows(const at::Tensor& ids) {
  if (ids.numel() == 0) {
    noted_ = true;
    return;
  }
  // index_fill_ checks the bounds itself (and the embedding lookup would fail on the same ids).
  auto flat = ids.reshape({-1}).to(indicator_.device(), at::kLong);
  indicator_.index_fill_(0, flat, 1);
  noted_ = true;
}

void RowSparseReduction::start_union() {
  union_work_ = comm_->all_reduce_sum(indicator_);
}

void RowSparseReduction::launch(const at::Tensor& grad) {
  if (!union_work_) start_union();
  union_work_->wait();
  union_work_.reset();
  index_ = at::nonzero(indicator_).reshape({-1});  // (k) ascending: the same on every rank
  packed_ = grad.index_select(0, index_);          // (k, ...)
  last_rows_ = index_.numel();
  work_ = comm_->all_reduce_sum(packed_);
}

void RowSparseReduction::finish(at::Tensor& grad) {
  if (!work_) launch(grad);
  work_->wait();
  work_.reset();
  grad.index_copy_(0, index_, packed_);
}

}  // namespace berth::distributed
