// The one rule for every file Berth writes on a user's behalf (predict/eval --output, report
// --output, prep --out, serve --port-file): it may not be, or resolve to, a file the command
// reads or a file of a run or checkpoint directory. Berth's writers replace a file atomically
// (common/durable_fs.h: a temporary renamed over the name), so `--output` naming the input used
// to succeed with exit 0 and leave only the output: the input was gone. Paths are compared as
// the kernel sees them, not as spelled: after following symbolic links and `..` (a canonical
// path), and by device and inode (a hard link, a bind mount). A command registers what it reads
// and owns, then checks each output before it opens it (docs/faults.md, "Outputs").
#pragma once

#include <string>
#include <vector>

namespace berth {

class OutputGuard {
 public:
  explicit OutputGuard(std::string component);

  // A file or directory the command reads, as the user named it with `option` ("--input"). A
  // directory protects every file under it that exists now; a new file beside them is allowed
  // (predictions written into a model's directory destroy nothing). A path that does not exist
  // protects nothing.
  OutputGuard& protect(const std::string& path, const std::string& option);
  // A directory no output may go into at all, not even as a new file: a checkpoint (an extra
  // file changes what its manifest describes) or a checkpoint root.
  OutputGuard& seal(const std::string& dir, const std::string& what);
  // The command's own artefact that it rewrites in place, inside a protected directory (`berth
  // report`'s RUN/report.html). Only this exact file: a hard link of it to another protected
  // file is still refused.
  OutputGuard& allow(const std::string& path);

  // Throws a usage error (exit 2) naming `option`, the path and what it would have replaced,
  // when `output` is refused. An empty path (standard output) and an existing device, FIFO or
  // directory (written as is, or refused by the writer: never replaced) pass.
  void check(const std::string& output, const std::string& option) const;

 private:
  struct Entry {
    std::string path;  // as given
    std::string what;  // the option or the kind of directory, for the message
    bool sealed = false;
  };
  std::string component_;
  std::vector<Entry> entries_;
  std::vector<std::string> allowed_;
};

}  // namespace berth
