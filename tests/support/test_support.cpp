#include "tests/support/test_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace berth::test {

namespace fs = std::filesystem;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : fallback;
}

// The build-time paths can be overridden from the environment, so that test binaries copied to
// another machine (the GPU runs of bench/gpu_check.sh) find that machine's Python and files.
fs::path source_dir() {
  return env_or("BERTH_SOURCE_DIR", BERTH_SOURCE_DIR);
}
fs::path shared_data() {
  return env_or("BERTH_SHARED_DATA", BERTH_SHARED_DATA);
}
fs::path default_model() {
  return env_or("BERTH_DEFAULT_MODEL", BERTH_DEFAULT_MODEL);
}
std::string python() {
  return env_or("BERTH_PYTHON", BERTH_PYTHON);
}
std::string berth_binary() {
  return env_or("BERTH_BINARY", BERTH_BINARY);
}

std::string learnable_csv(int rows) {
  static const char* words[3][6] = {{"sunny", "bright", "warm", "summer", "beach", "light"},
                                    {"rain", "storm", "cold", "winter", "snow", "dark"},
                                    {"code", "compile", "linker", "kernel", "thread", "build"}};
  std::string s = "text,label\n";
  for (int i = 0; i < rows; ++i) {
    int c = i % 3;
    std::string text;
    int n = 3 + (i * 7) % 9;
    for (int w = 0; w < n; ++w) text += std::string(w ? " " : "") + words[c][(i + w * 5) % 6];
    if (i % 4 == 0) text += ", really";
    s += "\"" + text + "\",c" + std::to_string(c) + "\n";
  }
  return s;
}

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    auto p = fs::temp_directory_path() / ("berth-test-" + std::to_string(rd()));
    if (fs::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream f(p, std::ios::binary);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

CommandResult run_command(const std::string& command, const std::string& stdin_text) {
  // Files rather than pipes: no deadlock on large outputs, and simple.
  TempDir tmp;
  write_file(tmp / "stdin", stdin_text);
  std::string full = "(" + command + ") < '" + (tmp / "stdin").string() + "' > '" +
                     (tmp / "stdout").string() + "' 2> '" + (tmp / "stderr").string() + "'";
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(tmp / "stdout");
  r.err = read_file(tmp / "stderr");
  return r;
}

CommandResult run_python(const std::string& script_and_args, const std::string& stdin_text) {
  // The first word is the script in tests/python; the rest are arguments the caller quoted.
  auto space = script_and_args.find(' ');
  std::string script = script_and_args.substr(0, space);
  std::string args = space == std::string::npos ? "" : script_and_args.substr(space);
  std::string cmd = "HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 '" + python() + "' '" +
                    (source_dir() / "tests/python" / script).string() + "'" + args;
  auto r = run_command(cmd, stdin_text);
  EXPECT_EQ(r.exit_code, 0) << "python oracle failed: " << cmd << "\n" << r.err;
  return r;
}

std::vector<nlohmann::json> metrics_records(const fs::path& run_dir, const std::string& type) {
  std::vector<nlohmann::json> out;
  std::ifstream f(run_dir / "metrics.jsonl");
  std::string line;
  while (std::getline(f, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == type) out.push_back(std::move(j));
  }
  return out;
}

std::map<int64_t, double> train_losses(const fs::path& run_dir) {
  std::map<int64_t, double> out;
  for (const auto& j : metrics_records(run_dir, "train")) out[j["step"]] = j["loss"];
  return out;
}

fs::path checkpoint_step_dir(const fs::path& run_dir, int step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%08d", step);
  return run_dir / "checkpoints" / name;
}

bool shared_data_available() {
  return fs::exists(shared_data() / "sst2" / "train.csv");
}

}  // namespace berth::test
