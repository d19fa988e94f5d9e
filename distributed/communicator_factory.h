// The one place that builds a process's communicator and decides the device it computes on, for
// `berth train`'s ranks and for the one-process commands (predict, eval, serve). Two steps,
// because the device comes from the config, which a rank reads only once MPI is up:
//   start_communicator()  at start: MPI when an MPI launcher started the process, else one
//                         process;
//   place_on_device()     once the config is read: this rank's device (choose_device), and for a
//                         multi-rank job on CUDA an NCCL communicator wrapping the MPI one in
//                         the caller's place (the wrapped one now belongs to it).
// Communicators never replace themselves, and mpi_communicator.cpp knows nothing of NCCL.
#pragma once

#include <c10/core/Device.h>

#include <memory>
#include <string>

#include "common/device_setting.h"
#include "distributed/communicator.h"

namespace berth::distributed {

std::unique_ptr<Communicator> start_communicator(bool mpi);

// `key` names the setting in errors (runtime.device). When this throws, `comm` still holds a
// communicator that can end the job (the caller's error path needs one).
void place_on_device(std::unique_ptr<Communicator>& comm, const DeviceSetting& setting,
                     const std::string& key);

// A one-process command's device (`key`: its --device flag): the choice a single rank makes.
c10::Device process_device(const DeviceSetting& setting, const std::string& key);

}  // namespace berth::distributed
