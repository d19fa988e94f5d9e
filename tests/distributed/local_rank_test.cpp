// The node-local rank (distributed/local_rank.h) from each launcher's environment, as they set it:
// Open MPI's mpirun (also inside a Slurm allocation), MPICH / Intel MPI Hydra, srun alone, and srun
// --mpi=pmix (the environment below is what Slurm 22.05's mpi_pmix set on the test cluster).
#include "distributed/local_rank.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace berth::distributed {
namespace {

LauncherLocalRank from(const std::map<std::string, std::string>& vars) {
  return local_rank_from_env([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(LocalRank, NoLauncherSaysNothing) {
  auto r = from({{"PMIX_RANK", "3"}, {"OMPI_COMM_WORLD_RANK", "3"}});
  EXPECT_EQ(r.local_rank, -1);
  EXPECT_EQ(r.variable, "");
}

TEST(LocalRank, OpenMpiMpirun) {
  auto r = from({{"OMPI_COMM_WORLD_RANK", "5"},
                 {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                 {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"}});
  EXPECT_EQ(r.local_rank, 1);
  EXPECT_EQ(r.variable, "OMPI_COMM_WORLD_LOCAL_RANK");
}

TEST(LocalRank, MpirunInsideSlurmIgnoresTheDaemonsStep) {
  // mpirun starts its daemons with srun, one task per node: every rank inherits SLURM_LOCALID=0.
  auto r =
      from({{"OMPI_COMM_WORLD_LOCAL_RANK", "3"}, {"SLURM_LOCALID", "0"}, {"SLURM_PROCID", "1"}});
  EXPECT_EQ(r.local_rank, 3);
  EXPECT_EQ(r.variable, "OMPI_COMM_WORLD_LOCAL_RANK");
}

TEST(LocalRank, HydraLaunchers) {
  auto r = from({{"PMI_RANK", "6"}, {"PMI_SIZE", "8"}, {"MPI_LOCALRANKID", "2"}});
  EXPECT_EQ(r.local_rank, 2);
  EXPECT_EQ(r.variable, "MPI_LOCALRANKID");
}

TEST(LocalRank, SrunWithoutMpiPlugin) {
  auto r = from({{"SLURM_PROCID", "7"}, {"SLURM_LOCALID", "3"}, {"SLURM_STEP_NUM_TASKS", "8"}});
  EXPECT_EQ(r.local_rank, 3);
  EXPECT_EQ(r.variable, "SLURM_LOCALID");
}

TEST(LocalRank, SrunWithPmix) {
  // Rank 3 of 4 on the second node of two (2 tasks per node): PMIx names the rank, Slurm the
  // place on the node.
  auto r = from({{"PMIX_RANK", "3"},
                 {"PMIX_NAMESPACE", "slurm.pmix.2.0"},
                 {"PMIX_HOSTNAME", "node-b"},
                 {"SLURM_PROCID", "3"},
                 {"SLURM_LOCALID", "1"},
                 {"SLURM_STEP_NUM_NODES", "2"},
                 {"SLURM_STEP_NUM_TASKS", "4"}});
  EXPECT_EQ(r.local_rank, 1);
  EXPECT_EQ(r.variable, "SLURM_LOCALID");
}

TEST(LocalRank, GarbageIsIgnored) {
  EXPECT_EQ(from({{"OMPI_COMM_WORLD_LOCAL_RANK", "x1"}, {"SLURM_LOCALID", "2"}}).local_rank, 2);
  EXPECT_EQ(from({{"OMPI_COMM_WORLD_LOCAL_RANK", "-1"}}).local_rank, -1);
  EXPECT_EQ(from({{"SLURM_LOCALID", "1 "}}).local_rank, -1);
  EXPECT_EQ(from({{"SLURM_LOCALID", ""}}).local_rank, -1);
}

}  // namespace
}  // namespace berth::distributed
