#include "trainer/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "common/error.h"

namespace berth::trainer {

namespace {
std::atomic<int> g_signal{0};
std::atomic<int> g_count{0};

extern "C" void on_stop_signal(int sig) {
  if (g_count.fetch_add(1) >= 1) {
    const char msg[] = "\nberth: second signal, aborting without a checkpoint\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    _exit(static_cast<int>(ExitCode::kAborted));
  }
  g_signal.store(sig);
}
}  // namespace

int signal_number(StopSignal signal) {
  switch (signal) {
    case StopSignal::kUsr1:
      return SIGUSR1;
    case StopSignal::kUsr2:
      return SIGUSR2;
    case StopSignal::kTerm:
      return SIGTERM;
    case StopSignal::kInt:
      return SIGINT;
    case StopSignal::kHup:
      return SIGHUP;
    case StopSignal::kUrg:
      return SIGURG;
    case StopSignal::kXcpu:
      break;
  }
  return SIGXCPU;
}

void install_stop_handlers(StopSignal extra_signal) {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, signal_number(extra_signal)}) sigaction(sig, &sa, nullptr);
}

bool stop_requested() {
  return g_signal.load() != 0;
}
int stop_signal_number() {
  return g_signal.load();
}
void reset_stop_request() {
  g_signal.store(0);
  g_count.store(0);
}

}  // namespace berth::trainer
