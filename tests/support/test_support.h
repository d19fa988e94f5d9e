// Helpers shared by the test executables: paths fixed at configure time, temporary directories,
// and running commands (the berth binary, the Python oracles) with their output captured.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::test {

// Each path below is fixed at configure time unless the environment variable of the same name
// (BERTH_SOURCE_DIR, BERTH_SHARED_DATA, BERTH_DEFAULT_MODEL, BERTH_PYTHON, BERTH_BINARY) is set.
std::string env_or(const char* name, const std::string& fallback);
std::filesystem::path source_dir();
std::filesystem::path shared_data();    // ../shared/data (the benchmark CSVs)
std::filesystem::path default_model();  // models/default
std::string python();                   // the venv's python
std::string berth_binary();             // build/berth

// A fresh empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `command` through /bin/sh; `stdin_text` is fed to its standard input.
CommandResult run_command(const std::string& command, const std::string& stdin_text = {});

// Runs a script from tests/python with the venv's python; fails the test when it exits non-zero.
CommandResult run_python(const std::string& script_and_args, const std::string& stdin_text = {});

void write_file(const std::filesystem::path& p, const std::string& content);
std::string read_file(const std::filesystem::path& p);

// The records of <run_dir>/metrics.jsonl whose "type" is `type`, in file order.
std::vector<nlohmann::json> metrics_records(const std::filesystem::path& run_dir,
                                            const std::string& type);
// Per-step training losses ("train" records of <run_dir>/metrics.jsonl; the last per step wins).
std::map<int64_t, double> train_losses(const std::filesystem::path& run_dir);
// <run_dir>/checkpoints/step-XXXXXXXX.
std::filesystem::path checkpoint_step_dir(const std::filesystem::path& run_dir, int step);

// A small labelled CSV (header text,label; labels c0, c1, c2 in turn) whose classes are learnable
// from their words, 3 to 11 words a row (plus ", really" on every fourth) so that padding and
// length bucketing have something to do.
std::string learnable_csv(int rows);

// Skips the calling test (GTEST_SKIP) when ../shared/data is absent, e.g. outside the workspace.
bool shared_data_available();

}  // namespace berth::test
