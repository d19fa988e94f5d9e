// An advisory lock on a run directory, held for the run's life: a second `berth train` on the
// same train.run_dir (or checkpoint.dir) refuses at start, naming the holder, instead of both
// writing checkpoints and metrics into it (and one deleting the other's temporary directories).
//
// flock(2) on <dir>/.berth.lock: the kernel drops it when the holder dies in any way (SIGKILL, a
// node reboot's lost file handles on NFS v4 are reclaimed by its lease), so a lock file left
// behind never blocks a later run. The file's text (host, pid, start time) is only for messages.
// On a file system without locking (flock fails with ENOLCK/EOPNOTSUPP/ENOSYS, e.g. some Lustre
// mounts without -o flock) the run goes on unlocked, with a warning.
#pragma once

#include <filesystem>
#include <string>

namespace berth::checkpoint {

class RunLock {
 public:
  RunLock() = default;
  // Locks `dir` (created if missing). `key` names the setting in messages ("train.run_dir").
  // Throws berth::Error (kUsage) naming the holder when another process has it.
  static RunLock acquire(const std::filesystem::path& dir, const std::string& key);

  RunLock(RunLock&& o) noexcept : fd_(o.fd_), dir_(std::move(o.dir_)), key_(std::move(o.key_)) {
    o.fd_ = -1;
  }
  RunLock& operator=(RunLock&& o) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

  bool held() const { return fd_ >= 0; }
  // Whether <dir>/.berth.lock is still the file this lock holds. A run writes its checkpoints by
  // path, so once its directory was renamed, deleted or replaced (another run started at the old
  // path after a `mv`), writing there would put this run's checkpoint, and its retention's
  // deletions, into a directory that is not its own. True when nothing is held.
  bool in_place() const;
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& key() const { return key_; }

 private:
  int fd_ = -1;
  std::filesystem::path dir_;
  std::string key_;
};

}  // namespace berth::checkpoint
