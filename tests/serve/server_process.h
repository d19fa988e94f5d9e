// A `berth serve` child process for the serve tests: started on a free loopback port (--port 0
// --port-file), its stderr kept for failure messages, SIGKILLed if still running at destruction.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_support.h"

extern char** environ;

namespace berth::test {

// A `berth serve` child process on a free port; SIGKILLed if still running at destruction.
class ServerProcess {
 public:
  // `expect_start` false: the server is expected to exit (exit_code() says how) instead of
  // listening. `env`: extra NAME=value entries for its environment.
  ServerProcess(const std::string& model, const std::vector<std::string>& extra,
                const std::filesystem::path& dir, bool expect_start = true,
                const std::vector<std::string>& env = {}) {
    const auto port_file = dir / "port";
    log_ = dir / "serve.log";
    std::filesystem::remove(port_file);
    std::vector<std::string> args = {
        berth_binary(), "serve", "--checkpoint", model, "--port-file", port_file.string(),
        "--threads",    "1"};
    if (std::find(extra.begin(), extra.end(), "--port") == extra.end())
      args.insert(args.end(), {"--port", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) env_strings.push_back(*e);
    env_strings.insert(env_strings.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&fa);
    if (!expect_start) {
      exit_code_ = wait_exit(std::chrono::seconds(60));
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(port_file) && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        ADD_FAILURE() << "berth serve exited early:\n" << log();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream(port_file) >> port_;
    EXPECT_GT(port_, 0) << log();
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  // For a server that was expected not to start: its exit status (-1: killed or still running).
  int exit_code() const { return exit_code_; }
  std::string log() const { return read_file(log_); }
  void signal(int sig) { kill(pid_, sig); }
  // Exit status after waiting, or -1 on a signal death or a timeout.
  int wait_exit(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(120, 0);
    return c;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  std::filesystem::path log_;
};

}  // namespace berth::test
