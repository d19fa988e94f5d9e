// GradientReducer over MPI (tests/distributed/reducer_mpi_check.cpp under mpirun): the row-sparse
// reduction of an embedding gradient equals the dense sum bit for bit on 2 and 3 ranks, with a
// row that one rank alone touched, rows in no batch, gradient accumulation, and a dense weight
// whose .grad becomes a view of its bucket.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

void expect_check_passes(int np) {
  auto r = run_command("env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 '" +
                       std::string(BERTH_MPIRUN) + "' -np " + std::to_string(np) +
                       " --oversubscribe --bind-to none '" + BERTH_REDUCER_CHECK + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (int rank = 0; rank < np; ++rank)
    EXPECT_NE(r.out.find("rank " + std::to_string(rank) + " of " + std::to_string(np) + ": ok"),
              std::string::npos)
        << r.out << r.err;
}

TEST(DistributedReducer, SparseEmbeddingSumEqualsDenseSumOnTwoRanks) {
  expect_check_passes(2);
}

TEST(DistributedReducer, SparseEmbeddingSumEqualsDenseSumOnThreeRanks) {
  expect_check_passes(3);
}

}  // namespace
}  // namespace berth::test
