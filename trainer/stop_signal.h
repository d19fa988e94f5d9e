// Stop requests by signal: SIGTERM, SIGINT and a configurable signal (default SIGUSR1, for
// Slurm's --signal) set a flag that the training loop polls at step boundaries; a second signal
// aborts at once with ExitCode::kAborted.
#pragma once

#include "trainer/train_config.h"

namespace berth::trainer {

// Installs the handlers for SIGTERM, SIGINT and `extra_signal` (runtime.stop_signal).
void install_stop_handlers(StopSignal extra_signal);
bool stop_requested();
// The signal that asked for the stop (0 if none), for the log.
int stop_signal_number();
// For tests: forget a previous request.
void reset_stop_request();
int signal_number(StopSignal signal);

}  // namespace berth::trainer
