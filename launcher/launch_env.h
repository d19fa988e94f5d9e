// How this process was launched: alone, or as one rank of an MPI job (mpirun / srun). Picks the
// communicator, checks that the ranks agree on what they run, sets up per-rank logging, and turns
// an error on one rank into the end of the whole job.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "distributed/communicator.h"
#include "trainer/train_config.h"

namespace berth::launcher {

struct LaunchInfo {
  bool mpi = false;      // started by an MPI launcher (even with one rank)
  std::string launcher;  // "mpirun (Open MPI)", "PMI", "PMIx", "srun", or "none"
  int world_size = 1;    // as the launcher's environment says (-1 when it does not say)
};

// Reads the launcher's environment variables (MPI is not initialised yet). `getenv` is the
// lookup (tests pass a fake environment); it returns null for a variable that is not set.
LaunchInfo detect_launch(const std::function<const char*(const char*)>& getenv);
LaunchInfo detect_launch();

// For the one-process commands (prep, predict, eval): throws a usage error when started as
// several ranks, since each rank would do the whole job and write the same output.
void require_single_process(const std::string& command);

// A single-process communicator when not launched by MPI; the MPI (CPU) one otherwise. Sets the
// log's rank (ranks > 0 log warnings and errors only).
std::unique_ptr<distributed::Communicator> make_communicator();

// Once every rank has loaded its config: every rank must hold rank 0's resolved config and the
// same --resume (a difference fails on every rank, naming the keys and ranks); applies
// runtime.comm_timeout_s; places the communicator on this rank's device
// (distributed::place_on_device: in an MPI job on CUDA `comm` becomes an NCCL one on that GPU).
// `comm` stays owned by the caller when this throws (run_rank then still reaches it to end the
// job).
void prepare_communicator(std::unique_ptr<distributed::Communicator>& comm,
                          const trainer::TrainConfig& config, const std::string& resume);

// <run_dir>/logs/rank-<r>.log gets this rank's records (warnings and errors on ranks > 0).
void open_rank_log(const std::string& run_dir, const distributed::Communicator& comm);

// Logs where this rank runs and on what ("rank 3 on node-b: cuda:1 (local rank 1 of 2 on this
// node)"), on every rank: its own rank log has it (ranks > 0 log INFO to that file only).
void log_rank_place(const distributed::Communicator& comm);

// Runs a rank's work and returns its exit status. In a job of several ranks an error is printed
// and then ends every rank (MPI_Abort with the error's exit code), so the others do not wait for
// this one until their timeout; with one rank it propagates to main() as usual. `comm` is read
// when the error happens (the body may replace it, see prepare_communicator).
int run_rank(const std::unique_ptr<distributed::Communicator>& comm,
             const std::function<int()>& body);

}  // namespace berth::launcher
