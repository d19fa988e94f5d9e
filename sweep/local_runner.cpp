#include "sweep/local_runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <sstream>

#include "common/error.h"
#include "common/log.h"

namespace berth::sweep {
namespace fs = std::filesystem;

namespace {

volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_signal = 0;

// Passed on once: the trainer takes a second stop signal as "abort without a checkpoint".
void forward(int sig) {
  if (g_signal == 0 && g_child > 0) kill(static_cast<pid_t>(g_child), sig);
  g_signal = sig;
}

// Runs `berth train` for one trial; returns its exit code (128 + signal when killed).
int run_trial(const std::string& berth, const fs::path& trial_dir) {
  const auto config = (trial_dir / "config.toml").string();
  const auto log = trial_log(trial_dir).string();
  const pid_t pid = fork();
  if (pid < 0) throw Error("sweep", std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // Its own process group: a terminal's Ctrl-C reaches the sweep only, which forwards it
    // once (the trial would otherwise get it twice and abort without a checkpoint).
    setpgid(0, 0);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execl(berth.c_str(), berth.c_str(), "train", "--config", config.c_str(), "--resume", "auto",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  g_child = pid;
  if (g_signal != 0) kill(pid, g_signal);  // a signal that came while forking
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

int SweepOutcome::exit_code() const {
  if (stopped) return static_cast<int>(ExitCode::kStopped);
  for (const auto& t : trials)
    if (t.status.state == TrialState::kFailed) return t.status.exit_code;
  // A trial stopped by a signal sent to it alone: resumable, as after a stop of the sweep.
  for (const auto& t : trials)
    if (t.status.state != TrialState::kDone) return static_cast<int>(ExitCode::kStopped);
  return 0;
}

SweepOutcome run_local(const Plan& plan, const fs::path& dir, const std::string& berth_binary) {
  auto log = log::get("sweep");
  struct sigaction sa {};
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{}, old_usr1{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGUSR1, &sa, &old_usr1);
  g_signal = 0;

  SweepOutcome out;
  for (const auto& t : plan.trials) {
    const auto trial_dir = dir / t.name;
    TrialOutcome o;
    o.name = t.name;
    o.status = read_trial_status(trial_dir);
    o.action = next_action(o.status.state);
    if (o.action != TrialAction::kSkip && g_signal == 0) {
      log->info("{}: {} ({})", t.name, to_string(o.action), trial_dir.string());
      clear_exit(trial_dir);
      const int rc = run_trial(berth_binary, trial_dir);
      record_exit(trial_dir, rc);
      o.status = read_trial_status(trial_dir);
      log->info("{}: exit {}, {}", t.name, rc, to_string(o.status.state));
    } else if (o.action == TrialAction::kSkip) {
      log->info("{}: done already, not rerun", t.name);
    }
    out.trials.push_back(std::move(o));
  }
  out.stopped = g_signal != 0;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGUSR1, &old_usr1, nullptr);
  return out;
}

std::string summary(const SweepOutcome& outcome) {
  std::ostringstream os;
  size_t done = 0, failed = 0;
  for (const auto& t : outcome.trials) {
    done += t.status.state == TrialState::kDone;
    failed += t.status.state == TrialState::kFailed;
    os << "  " << t.name << "  " << to_string(t.status.state);
    if (t.status.state == TrialState::kFailed) os << " (exit " << t.status.exit_code << ")";
    os << "\n";
  }
  os << done << " of " << outcome.trials.size() << " trials done, " << failed << " failed";
  if (outcome.stopped) os << "; stopped by a signal (rerun the same command to go on)";
  os << "\n";
  for (const auto& t : outcome.trials) {
    if (t.status.state != TrialState::kFailed) continue;
    os << "---- " << t.name << " failed with exit " << t.status.exit_code
       << "; the end of its train.log:\n"
       << t.status.log_tail;
  }
  return os.str();
}

}  // namespace berth::sweep
