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

int signal_from_name(const std::string& name) {
  if (name == "USR1") return SIGUSR1;
  if (name == "USR2") return SIGUSR2;
  if (name == "TERM") return SIGTERM;
  if (name == "INT") return SIGINT;
  if (name == "HUP") return SIGHUP;
  if (name == "URG") return SIGURG;
  if (name == "XCPU") return SIGXCPU;
  throw usage_error("signal", "unknown signal name '" + name + "'", "use USR1, USR2, TERM, ...");
}

void install_stop_handlers(const std::string& extra_signal) {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, signal_from_name(extra_signal)}) sigaction(sig, &sa, nullptr);
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
