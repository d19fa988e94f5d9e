// Launch detection (launcher/launch_env.h) from fake environments: what Open MPI's mpirun, PMI
// launchers (MPICH/Intel MPI Hydra, srun --mpi=pmi2), PMIx (Open MPI 5, srun --mpi=pmix) and a
// plain multi-task srun step set, and what a batch script alone or a shell set.
#include "launcher/launch_env.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/error.h"

namespace berth::launcher {
namespace {

LaunchInfo detect(const std::map<std::string, std::string>& vars) {
  return detect_launch([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(DetectLaunch, NothingSetIsASingleProcess) {
  auto info = detect({});
  EXPECT_FALSE(info.mpi);
  EXPECT_EQ(info.launcher, "none");
  EXPECT_EQ(info.world_size, 1);
}

TEST(DetectLaunch, OpenMpiMpirun) {
  auto info = detect({{"OMPI_COMM_WORLD_SIZE", "4"},
                      {"OMPI_COMM_WORLD_RANK", "1"},
                      {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}});
  EXPECT_TRUE(info.mpi);
  EXPECT_EQ(info.launcher, "mpirun (Open MPI)");
  EXPECT_EQ(info.world_size, 4);
}

TEST(DetectLaunch, OpenMpiWinsOverTheSlurmStepItRunsIn) {
  // mpirun inside an sbatch allocation: Slurm's variables describe the batch step, not the job.
  auto info =
      detect({{"OMPI_COMM_WORLD_SIZE", "2"}, {"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "1"}});
  EXPECT_EQ(info.launcher, "mpirun (Open MPI)");
  EXPECT_EQ(info.world_size, 2);
}

TEST(DetectLaunch, PmiLaunchers) {
  auto info = detect({{"PMI_SIZE", "8"}, {"PMI_RANK", "3"}});
  EXPECT_TRUE(info.mpi);
  EXPECT_EQ(info.launcher, "PMI");
  EXPECT_EQ(info.world_size, 8);
}

TEST(DetectLaunch, PmixWithAndWithoutSize) {
  auto info = detect({{"PMIX_RANK", "0"}, {"PMIX_SIZE", "2"}});
  EXPECT_TRUE(info.mpi);
  EXPECT_EQ(info.launcher, "PMIx");
  EXPECT_EQ(info.world_size, 2);
  // srun --mpi=pmix sets the rank but not always a size: "several, count unknown".
  auto unknown = detect({{"PMIX_RANK", "1"}});
  EXPECT_TRUE(unknown.mpi);
  EXPECT_EQ(unknown.world_size, -1);
}

TEST(DetectLaunch, SrunStepOfSeveralTasks) {
  auto info =
      detect({{"SLURM_PROCID", "1"}, {"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_LOCALID", "1"}});
  EXPECT_TRUE(info.mpi);
  EXPECT_EQ(info.launcher, "srun");
  EXPECT_EQ(info.world_size, 2);
}

TEST(DetectLaunch, BatchScriptAloneIsNotAnMpiJob) {
  // The batch step of sbatch is a step of one task: berth runs as a plain process there.
  auto info = detect({{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "1"}, {"SLURM_JOB_ID", "7"}});
  EXPECT_FALSE(info.mpi);
  EXPECT_EQ(info.launcher, "none");
  // A Slurm allocation without a step (salloc shell) likewise.
  EXPECT_FALSE(detect({{"SLURM_PROCID", "0"}}).mpi);
}

TEST(DetectLaunch, EmptyVariablesCountAsUnset) {
  EXPECT_FALSE(detect({{"OMPI_COMM_WORLD_SIZE", ""}, {"PMIX_RANK", ""}}).mpi);
}

}  // namespace
}  // namespace berth::launcher
