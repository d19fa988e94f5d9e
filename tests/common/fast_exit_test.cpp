// common/fast_exit.h: what a process buffered for its outputs is written before it ends without
// its teardown, and the exit code is the one asked for. Each case runs in a forked child whose
// stdout and stderr are pipes (fully buffered, as when `berth predict` is piped), so a missing
// flush loses the text.
#include "common/fast_exit.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>

namespace berth {
namespace {

struct ChildResult {
  int exit_code = -1;
  std::string out, err;
};

std::string drain(int fd) {
  std::string s;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) s.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return s;
}

ChildResult in_child(const std::function<void()>& body) {
  int out[2], err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) return {};
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(err[0]);
    // A pipe: C stdio buffers fully, and nothing below flushes on its own.
    std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
    std::ios::sync_with_stdio(false);
    body();
    std::_Exit(97);  // body did not end the process
  }
  ::close(out[1]);
  ::close(err[1]);
  ChildResult r;
  r.out = drain(out[0]);
  r.err = drain(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(FastExit, FlushesEveryBufferedOutputAndKeepsTheCode) {
  auto r = in_child([] {
    std::cout << "from iostream\n";  // no std::endl: stays in the buffer
    std::printf("from stdio\n");
    auto logger = spdlog::stderr_logger_st("fast_exit_test");
    logger->set_pattern("%v");
    logger->info("from spdlog");
    fast_exit(3);
  });
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.out.find("from iostream\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("from stdio\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("from spdlog"), std::string::npos) << r.err;
}

TEST(FastExit, SkipsStaticDestructorsUnlessTurnedOff) {
  // An atexit handler stands for the teardown fast_exit is there to skip.
  auto run = [](const char* setting) {
    return in_child([setting] {
      if (setting != nullptr) ::setenv("BERTH_FAST_EXIT", setting, 1);
      std::atexit([] { std::printf("teardown ran\n"); });
      fast_exit(0);
    });
  };
  const bool skipped = fast_exit_enabled();  // false under AddressSanitizer: teardown runs
  auto fast = run(nullptr);
  EXPECT_EQ(fast.exit_code, 0);
  EXPECT_EQ(fast.out.find("teardown ran") == std::string::npos, skipped) << fast.out;
  auto slow = run("0");
  EXPECT_EQ(slow.exit_code, 0);
  EXPECT_NE(slow.out.find("teardown ran"), std::string::npos) << slow.out;
}

}  // namespace
}  // namespace berth
