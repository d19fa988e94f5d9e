#include "checkpoint/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/durable_fs.h"
#include "common/error.h"
#include "common/log.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;

namespace {

std::string holder_text() {
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  char when[32] = "?";
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return std::string("host ") + host + ", pid " + std::to_string(getpid()) + ", since " + when;
}

std::string read_holder(int fd) {
  char buf[512] = {0};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s.empty() ? "a process that has not written its name yet" : s;
}

}  // namespace

RunLock RunLock::acquire(const fs::path& dir, const std::string& key) {
  std::error_code ec;
  // A new directory's own entry is made durable, as the checkpoint writer does for its root.
  if (fs::create_directories(dir, ec) && !ec) durable::fsync_dir(fs::absolute(dir).parent_path());
  fs::path path = dir / ".berth.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error("run", "cannot open " + path.string() + ": " + std::strerror(errno),
                "check that " + key + " (" + dir.string() + ") is writable", ExitCode::kUsage);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      std::string holder = read_holder(fd);
      ::close(fd);
      throw Error("run",
                  key + " " + dir.string() + " is in use by another berth train (" + holder + ")",
                  "wait for it to end or stop it (its stop signal makes it checkpoint and exit), "
                  "or give this run another " +
                      key,
                  ExitCode::kUsage);
    }
    ::close(fd);
    log::get("run")->warn(
        "cannot lock {} ({}): the file system has no locking; nothing stops "
        "a second run from using {} at the same time",
        path.string(), std::strerror(err), key);
    return RunLock();
  }
  std::string text = holder_text() + "\n";
  if (::ftruncate(fd, 0) == 0) {
    ssize_t ignored = ::pwrite(fd, text.data(), text.size(), 0);
    (void)ignored;  // the text only improves a later message
  }
  RunLock lock;
  lock.fd_ = fd;
  lock.dir_ = dir;
  lock.key_ = key;
  return lock;
}

bool RunLock::in_place() const {
  if (fd_ < 0) return true;
  struct stat held {};
  struct stat now {};
  if (::fstat(fd_, &held) != 0) return true;  // cannot tell: do not stop a run on that
  if (::stat((dir_ / ".berth.lock").c_str(), &now) != 0) return false;  // moved or deleted
  return held.st_dev == now.st_dev && held.st_ino == now.st_ino;
}

RunLock& RunLock::operator=(RunLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    dir_ = std::move(o.dir_);
    key_ = std::move(o.key_);
    o.fd_ = -1;
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

}  // namespace berth::checkpoint
