// Berth's one exception type and its documented exit codes.
// Every error names the component, what is wrong (with the file/line/key when there is one),
// and a hint for the fix; main() catches it once and exits with its code.
#pragma once

#include <stdexcept>
#include <string>

namespace berth {

// Exit codes, documented in README.md ("Exit codes"). Stable: scripts and Slurm wrappers test them.
enum class ExitCode : int {
  kOk = 0,
  kInternal = 1,     // a bug or an unexpected library error
  kUsage = 2,        // bad command line, config key or value
  kData = 3,         // unreadable or malformed input data / corpus
  kModel = 4,        // model directory, weights or checkpoint unusable
  kDistributed = 5,  // a rank died, stalled or disagreed
  kNumeric = 6,      // training diverged (loss scale collapsed, NaN loss)
  kStopped = 75,     // stopped on request (signal) after writing a checkpoint: resume later
  kAborted = 130,    // a second signal: stopped at once without a checkpoint
};

class Error : public std::runtime_error {
 public:
  Error(std::string component, std::string message, std::string hint = {},
        ExitCode code = ExitCode::kInternal);

  const std::string& component() const { return component_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }
  ExitCode code() const { return code_; }

 private:
  std::string component_;
  std::string message_;
  std::string hint_;
  ExitCode code_;
};

// Shorthands that fix the exit code by the kind of failure.
Error usage_error(const std::string& component, const std::string& message,
                  const std::string& hint = {});
Error data_error(const std::string& component, const std::string& message,
                 const std::string& hint = {});
Error model_error(const std::string& component, const std::string& message,
                  const std::string& hint = {});

}  // namespace berth
