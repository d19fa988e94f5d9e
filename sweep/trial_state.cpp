#include "sweep/trial_state.h"

#include <cstdlib>
#include <deque>
#include <fstream>
#include <string>

#include "common/durable_fs.h"
#include "common/file_read.h"
#include "run_directory/metrics_reader.h"
#include "run_directory/run_layout.h"

namespace berth::sweep {
namespace fs = std::filesystem;
using run_directory::RecordType;

namespace {

fs::path exit_file(const fs::path& trial_dir) {
  return trial_dir / "exit-code";
}

std::string tail(const fs::path& file, size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += l + "\n";
  return out;
}

}  // namespace

TrialStatus read_trial_status(const fs::path& trial_dir) {
  TrialStatus s;
  bool started = false, done = false;
  run_directory::for_each_record(run_directory::RunLayout(trial_dir).metrics(),
                                 [&](const run_directory::Record& r) {
                                   switch (r.type) {
                                     case RecordType::kStart:
                                     case RecordType::kResume:
                                     case RecordType::kStopped:
                                       started = true;
                                       done = false;
                                       break;
                                     case RecordType::kDone:
                                       done = true;
                                       break;
                                     default:
                                       break;
                                   }
                                 });
  if (done) {
    s.state = TrialState::kDone;
    return s;
  }
  if (auto code = read_file(exit_file(trial_dir))) {
    s.state = TrialState::kFailed;
    s.exit_code = std::atoi(code->c_str());
    s.log_tail = tail(trial_log(trial_dir), 15);
    return s;
  }
  s.state = started ? TrialState::kInterrupted : TrialState::kPending;
  return s;
}

TrialAction next_action(TrialState state) {
  switch (state) {
    case TrialState::kPending:
      return TrialAction::kStart;
    case TrialState::kInterrupted:
      return TrialAction::kResume;
    case TrialState::kDone:
      return TrialAction::kSkip;
    case TrialState::kFailed:
      return TrialAction::kRetry;
  }
  return TrialAction::kStart;
}

void record_exit(const fs::path& trial_dir, int exit_code) {
  if (exit_code == 0 || exit_code == 75) return;
  durable::write_file_atomically(exit_file(trial_dir), std::to_string(exit_code) + "\n",
                                 {"sweep", ExitCode::kInternal});
}

void clear_exit(const fs::path& trial_dir) {
  std::error_code ec;
  fs::remove(exit_file(trial_dir), ec);
}

}  // namespace berth::sweep
