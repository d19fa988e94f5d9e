#include "common/durable_fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace berth::durable {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const Blame& blame, const std::string& what, const fs::path& path, int err) {
  std::string hint = err == ENOSPC || err == EDQUOT
                         ? "the disk (or your quota) is full: free space there or write elsewhere"
                         : "check free space, permissions and the health of the file system";
  throw Error(blame.component, what + " " + path.string() + ": " + std::strerror(err), hint,
              blame.code);
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

void fsync_path(const fs::path& path, int flags, const char* what, const Blame& blame) {
  Fd f(::open(path.c_str(), flags | O_CLOEXEC));
  if (f.fd < 0) fail(blame, std::string("cannot open for ") + what, path, errno);
  if (::fsync(f.fd) != 0) fail(blame, std::string("cannot ") + what, path, errno);
}

void write_all(int fd, const void* data, std::size_t size, const fs::path& path,
               const Blame& blame) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(blame, "cannot write", path, errno);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

fs::path parent_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

}  // namespace

void fsync_file(const fs::path& file, const Blame& blame) {
  fsync_path(file, O_RDONLY, "fsync", blame);
}

void fsync_dir(const fs::path& dir, const Blame& blame) {
  fsync_path(dir, O_RDONLY | O_DIRECTORY, "fsync directory", blame);
}

void write_file_durably(const fs::path& file, std::string_view content, const Blame& blame) {
  Fd f(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (f.fd < 0) fail(blame, "cannot create", file, errno);
  write_all(f.fd, content.data(), content.size(), file, blame);
  if (::fsync(f.fd) != 0) fail(blame, "cannot fsync", file, errno);
  int fd = f.fd;
  f.fd = -1;
  if (::close(fd) != 0) fail(blame, "cannot close", file, errno);
}

fs::path temp_path_for(const fs::path& path) {
  return parent_of(path) / ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()));
}

void write_file_atomically(const fs::path& path, std::string_view content, const Blame& blame) {
  AtomicFile f(path, blame);
  f.write(content);
  f.commit();
}

void commit_file(const fs::path& tmp, const fs::path& path, const Blame& blame) {
  try {
    fsync_file(tmp, blame);
    rename_path(tmp, path, blame);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  fsync_dir(parent_of(path), blame);
}

AtomicFile::AtomicFile(fs::path path, Blame blame)
    : path_(std::move(path)), tmp_(temp_path_for(path_)), blame_(std::move(blame)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(blame_, "cannot create", tmp_, errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, std::size_t size) {
  constexpr std::size_t kBuffer = std::size_t{1} << 16;
  if (buffer_.size() + size > kBuffer) flush();
  if (size >= kBuffer)
    write_all(fd_, data, size, tmp_, blame_);
  else
    buffer_.append(static_cast<const char*>(data), size);
}

void AtomicFile::flush() {
  write_all(fd_, buffer_.data(), buffer_.size(), tmp_, blame_);
  buffer_.clear();
}

void AtomicFile::commit() {
  flush();
  if (::fsync(fd_) != 0) fail(blame_, "cannot fsync", tmp_, errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(blame_, "cannot close", tmp_, errno);
  rename_path(tmp_, path_, blame_);
  committed_ = true;
  fsync_dir(parent_of(path_), blame_);
}

void rename_path(const fs::path& from, const fs::path& to, const Blame& blame) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    fail(blame, "cannot rename " + from.string() + " to", to, errno);
  }
}

bool exchange_paths(const fs::path& a, const fs::path& b, const Blame& blame) {
#if defined(SYS_renameat2) && defined(RENAME_EXCHANGE)
  if (::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) {
    return true;
  }
  int err = errno;
  if (err == EINVAL || err == ENOSYS || err == ENOTSUP) return false;
  fail(blame, "cannot exchange " + a.string() + " with", b, err);
#else
  (void)a;
  (void)b;
  (void)blame;
  return false;
#endif
}

void replace_symlink(const fs::path& dir, const std::string& name, const std::string& target,
                     const Blame& blame) {
  fs::path tmp = dir / (".tmp-" + name + "-" + std::to_string(::getpid()));
  ::unlink(tmp.c_str());  // a leftover from a crash of an earlier process with the same pid
  if (::symlink(target.c_str(), tmp.c_str()) != 0) fail(blame, "cannot create symlink", tmp, errno);
  rename_path(tmp, dir / name, blame);
  fsync_dir(dir, blame);
}

}  // namespace berth::durable
