// Which rank on its node this process is, as its launcher says. The GPU a rank takes is numbered
// by it (choose_device), so every launcher's variable is read here and nowhere else, and each is
// tested with a fake environment (tests/distributed/local_rank_test.cpp).
#pragma once

#include <functional>
#include <string>

namespace berth::distributed {

struct LauncherLocalRank {
  int local_rank = -1;   // -1: no launcher variable says (use MPI's node-local communicator)
  std::string variable;  // the variable it came from, for the log
};

// In this order: OMPI_COMM_WORLD_LOCAL_RANK (Open MPI's mpirun, which also runs inside a Slurm
// allocation where SLURM_LOCALID describes its daemon's step, not the rank), MPI_LOCALRANKID
// (MPICH / Intel MPI Hydra), SLURM_LOCALID (srun, with --mpi=pmix, pmi2 or none: PMIx itself
// gives the local rank only through PMIx_Get, not the environment). A value that is not a
// non-negative integer is ignored. `getenv` returns null for a variable that is not set.
LauncherLocalRank local_rank_from_env(const std::function<const char*(const char*)>& getenv);

}  // namespace berth::distributed
