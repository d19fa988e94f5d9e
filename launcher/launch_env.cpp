#include "launcher/launch_env.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "common/error.h"
#include "common/log.h"
#include "distributed/communicator_factory.h"
#include "run_directory/run_layout.h"

namespace berth::launcher {

namespace {

// Every rank sends its own list of differences from rank 0 to everyone (one broadcast per rank,
// only when something differs), so that every rank fails with the same complete message rather
// than racing to abort with a partial one.
void agree_on_config(distributed::Communicator& comm, const trainer::TrainConfig& config,
                     const std::string& resume) {
  std::string reference = config.to_toml();
  std::string reference_resume = resume;
  comm.broadcast_string(reference, 0);
  comm.broadcast_string(reference_resume, 0);
  std::string mine;
  if (comm.rank() != 0) {
    auto diff = trainer::compare(trainer::TrainConfig::parse(reference, "rank 0's config"), config);
    for (const auto* list : {&diff.incompatible, &diff.harmless})
      for (const auto& line : *list) mine += "\n    " + line;
    if (mine.empty() && reference != config.to_toml()) mine += "\n    (the resolved TOML differs)";
    if (reference_resume != resume) mine += "\n    --resume: " + reference_resume + " -> " + resume;
  }
  if (!comm.any(!mine.empty())) return;
  std::string all;
  for (int r = 1; r < comm.world_size(); ++r) {
    std::string lines = mine;
    comm.broadcast_string(lines, r);
    if (!lines.empty())
      all += "\n  rank " + std::to_string(r) + " (rank 0's value -> its own):" + lines;
  }
  throw Error("launcher", "the ranks do not run the same configuration:" + all,
              "give every rank the same --config file (on a shared filesystem), the same --set "
              "options and the same --resume",
              ExitCode::kDistributed);
}

}  // namespace

LaunchInfo detect_launch() {
  return detect_launch([](const char* name) { return std::getenv(name); });
}

LaunchInfo detect_launch(const std::function<const char*(const char*)>& getenv) {
  auto env = [&](const char* name) -> const char* {
    const char* v = getenv(name);
    return (v && *v) ? v : nullptr;
  };
  auto env_int = [&](const char* name) {
    const char* v = env(name);
    return v ? std::atoi(v) : -1;
  };
  LaunchInfo info;
  if (env("OMPI_COMM_WORLD_SIZE")) {
    info = {true, "mpirun (Open MPI)", env_int("OMPI_COMM_WORLD_SIZE")};
  } else if (env("PMI_SIZE")) {  // MPICH / Intel MPI (Hydra), srun --mpi=pmi2
    info = {true, "PMI", env_int("PMI_SIZE")};
  } else if (env("PMIX_RANK")) {  // Open MPI 5, srun --mpi=pmix
    info = {true, "PMIx", env_int("PMIX_SIZE")};
  } else if (env("SLURM_PROCID") && env("SLURM_STEP_NUM_TASKS") &&
             env_int("SLURM_STEP_NUM_TASKS") > 1) {
    // One task of a multi-task srun step (a batch script alone is a step of one task).
    info = {true, "srun", env_int("SLURM_STEP_NUM_TASKS")};
  } else {
    info = {false, "none", 1};
  }
  return info;
}

void require_single_process(const std::string& command) {
  auto info = detect_launch();
  if (!info.mpi || info.world_size == 1) return;
  throw usage_error("launcher",
                    "'berth " + command + "' runs as one process, but " + info.launcher +
                        " started it as " +
                        (info.world_size > 1 ? std::to_string(info.world_size) : "several") +
                        " ranks: each would do the whole job and write the same output",
                    "run it without mpirun/srun, or as one task (mpirun -np 1, srun -n 1; "
                    "slurm/predict.sbatch does); only 'berth train' uses several ranks");
}

std::unique_ptr<distributed::Communicator> make_communicator() {
  auto info = detect_launch();
  auto comm = distributed::start_communicator(info.mpi);
  log::set_rank(comm->rank(), comm->world_size());
  if (info.mpi) {
    log::get("comm")->debug("launched by {}: rank {} of {} (local rank {})", info.launcher,
                            comm->rank(), comm->world_size(), comm->local_rank());
  }
  return comm;
}

void prepare_communicator(std::unique_ptr<distributed::Communicator>& comm,
                          const trainer::TrainConfig& config, const std::string& resume) {
  comm->set_timeout(config.runtime.comm_timeout_s);
  agree_on_config(*comm, config, resume);  // nothing to agree on for a single process
  distributed::place_on_device(comm, config.runtime.device, "runtime.device");
}

void open_rank_log(const std::string& run_dir, const distributed::Communicator& comm) {
  const run_directory::RunLayout layout(run_dir);
  std::error_code ec;
  std::filesystem::create_directories(layout.logs(), ec);
  if (ec) {
    throw usage_error("launcher",
                      "train.run_dir " + run_dir + " cannot be created: " + ec.message(),
                      "set train.run_dir to a writable directory (is a parent a file, or the file "
                      "system read-only?)");
  }
  log::add_file_sink(layout.rank_log(comm.rank()).string());
}

void log_rank_place(const distributed::Communicator& comm) {
  log::get("launcher")
      ->info("rank {} on {}: {} (local rank {} of {} on this node)", comm.rank(),
             comm.host(comm.rank()), comm.device().str(), comm.local_rank(), comm.local_size());
}

int run_rank(const std::unique_ptr<distributed::Communicator>& comm,
             const std::function<int()>& body) {
  auto fail = [&](const std::string& text, ExitCode code) {
    if (!comm || comm->world_size() == 1) return false;
    // One write(2) call, so that ranks failing together do not interleave their messages.
    std::string line = "berth: error: [rank " + std::to_string(comm->rank()) + "] " + text + "\n";
    std::cerr.flush();
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
    log::get("launcher")
        ->error("ending the MPI job (exit status {}) after this rank's error",
                static_cast<int>(code));
    comm->abort_job(static_cast<int>(code));  // does not return
    return true;
  };
  try {
    return body();
  } catch (const Error& e) {
    if (!fail(e.what(), e.code())) throw;
  } catch (const std::exception& e) {
    if (!fail(std::string("internal error: ") + e.what(), ExitCode::kInternal)) throw;
  }
  return static_cast<int>(ExitCode::kInternal);  // not reached: abort_job does not return
}

}  // namespace berth::launcher
