// How this process was launched: alone, or as one rank of an MPI job (mpirun / srun). Picks the
// communicator and sets up per-rank logging.
#pragma once

#include <memory>
#include <string>

#include "trainer/communicator.h"

namespace berth::launcher {

// A single-process communicator when not launched by MPI; the MPI/NCCL one otherwise.
std::unique_ptr<trainer::Communicator> make_communicator();

// <run_dir>/logs/rank-<r>.log gets this rank's records (warnings and errors on ranks > 0).
void open_rank_log(const std::string& run_dir, const trainer::Communicator& comm);

}  // namespace berth::launcher
