#include "checkpoint/durable_fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path, int err) {
  throw model_error("checkpoint", what + " " + path.string() + ": " + std::strerror(err),
                    "check free space, permissions and the health of the checkpoint file system");
}

// RAII for a file descriptor so every early throw closes it.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

void fsync_path(const fs::path& path, int flags, const char* what) {
  Fd f(::open(path.c_str(), flags | O_CLOEXEC));
  if (f.fd < 0) fail(std::string("cannot open for ") + what, path, errno);
  if (::fsync(f.fd) != 0) fail(std::string("cannot ") + what, path, errno);
}

}  // namespace

void fsync_file(const fs::path& file) {
  fsync_path(file, O_RDONLY, "fsync");
}

void fsync_dir(const fs::path& dir) {
  fsync_path(dir, O_RDONLY | O_DIRECTORY, "fsync directory");
}

void write_file_durably(const fs::path& file, const std::string& content) {
  Fd f(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (f.fd < 0) fail("cannot create", file, errno);
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(f.fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", file, errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) fail("cannot fsync", file, errno);
}

void rename_path(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    fail("cannot rename " + from.string() + " to", to, errno);
  }
}

bool exchange_paths(const fs::path& a, const fs::path& b) {
#if defined(SYS_renameat2) && defined(RENAME_EXCHANGE)
  if (::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) {
    return true;
  }
  int err = errno;
  if (err == EINVAL || err == ENOSYS || err == ENOTSUP) return false;
  fail("cannot exchange " + a.string() + " with", b, err);
#else
  (void)a;
  (void)b;
  return false;
#endif
}

void replace_symlink(const fs::path& dir, const std::string& name, const std::string& target) {
  fs::path tmp = dir / (".tmp-" + name + "-" + std::to_string(::getpid()));
  ::unlink(tmp.c_str());  // a leftover from a crash of an earlier process with the same pid
  if (::symlink(target.c_str(), tmp.c_str()) != 0) fail("cannot create symlink", tmp, errno);
  rename_path(tmp, dir / name);
  fsync_dir(dir);
}

}  // namespace berth::checkpoint
