// Run under `mpirun -np N` by distributed_reducer_test.cpp: GradientReducer on a real MPI
// communicator, with an embedding table reduced row-sparse and a dense weight, against the dense
// sum. Gradients are small integers, so every order of addition gives the same floats and the
// comparison is bitwise on any number of ranks. Prints what differs and exits 1, else exits 0.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "distributed/gradient_reducer.h"
#include "distributed/mpi_communicator.h"

using namespace berth::distributed;

namespace {

constexpr int64_t kRows = 50, kDim = 4;

int failures = 0;

void expect_equal(const at::Tensor& got, const at::Tensor& want, const std::string& what,
                  int rank) {
  // Bitwise: +0.0 and -0.0 differ, as would a row left with this rank's own value.
  bool same = got.sizes() == want.sizes() &&
              at::equal(got.contiguous().view(at::kInt), want.contiguous().view(at::kInt));
  if (!same) {
    ++failures;
    auto diff = (got - want).abs().sum(1).nonzero().reshape({-1});
    std::fprintf(stderr, "rank %d: %s differs from the dense sum in rows:\n", rank, what.c_str());
    for (int64_t i = 0; i < diff.numel(); ++i)
      std::fprintf(stderr, "  row %lld\n", static_cast<long long>(diff[i].item<int64_t>()));
  }
}

// The ids rank r looks up in micro-step m: a row shared by all ranks (3), rows of its own
// (10 + r, 20 + r on micro-step 1 only), and row 7 on rank 0 alone. Rows 40..49 are in no batch.
at::Tensor ids_of(int rank, int micro) {
  std::vector<int64_t> v = {3, 10 + rank, 3};
  if (micro == 1) v.push_back(20 + rank);
  if (rank == 0) v.push_back(7);
  return at::tensor(v, at::kLong).reshape({1, -1});  // (batch, seq)
}

// One micro-step's loss on rank r: integer weights keep every gradient an exact integer.
at::Tensor loss_of(const at::Tensor& table, const at::Tensor& dense, int rank, int micro) {
  auto ids = ids_of(rank, micro);
  auto emb = at::embedding(table, ids);  // (1, seq, dim)
  auto coef = at::arange(1, emb.size(1) * kDim + 1, at::kFloat).reshape({1, -1, kDim}) + rank;
  return (emb * coef).sum() + (dense * (rank + micro + 1)).sum() * 2;
}

}  // namespace

int main() {
  MpiCommunicator comm(60);
  const int rank = comm.rank(), world = comm.world_size();
  auto table = at::zeros({kRows, kDim}).set_requires_grad(true);  // (rows, dim)
  auto dense = at::zeros({3, 5}).set_requires_grad(true);
  std::vector<at::Tensor> params = {table, dense};
  GradientReducerOptions options;
  options.row_sparse = {0};
  GradientReducer reducer(params, comm, options);

  for (int step = 0; step < 2; ++step) {
    // Gradient accumulation over two micro-steps: rows noted on the first count too.
    for (int micro = 0; micro < 2; ++micro) {
      reducer.note_rows(0, ids_of(rank, micro));
      reducer.prepare(micro == 1);
      loss_of(table, dense, rank, micro).backward();
    }
    // The dense reference: this rank's accumulated gradients, summed over ranks in full.
    auto want_table = table.grad().clone();
    auto want_dense = dense.grad().clone();
    comm.all_reduce_sum(want_table)->wait();
    comm.all_reduce_sum(want_dense)->wait();
    reducer.finish();

    std::string tag = "step " + std::to_string(step) + ": ";
    expect_equal(table.grad(), want_table, tag + "the row-sparse embedding gradient", rank);
    expect_equal(dense.grad(), want_dense, tag + "the dense gradient", rank);
    // Rows 3, 10..10+world-1, 20..20+world-1 and 7: the union, and nothing else.
    if (reducer.last_sparse_rows() != 2 + 2 * world) {
      ++failures;
      std::fprintf(stderr, "rank %d: %lld rows summed, expected %d\n", rank,
                   static_cast<long long>(reducer.last_sparse_rows()), 2 + 2 * world);
    }
    if (world > 1 && table.grad()[7].abs().sum().item<double>() == 0) {
      ++failures;
      std::fprintf(stderr, "rank %d: row 7 (touched by rank 0 alone) was not summed\n", rank);
    }
    if (!at::equal(table.grad().narrow(0, 40, 10).view(at::kInt),
                   at::zeros({10, kDim}, at::kInt))) {
      ++failures;
      std::fprintf(stderr, "rank %d: rows in no batch are not +0.0\n", rank);
    }
    // The trainer drops the gradients after each optimizer step.
    table.mutable_grad() = at::Tensor();
    dense.mutable_grad() = at::Tensor();
  }
  std::printf("rank %d of %d: %s\n", rank, world, failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
