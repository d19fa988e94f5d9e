// Where `--output` of predict and eval goes: a regular (or new) file appears only whole, through
// common's durable writer (a full disk or an error leaves no partial file under the name, nor
// removes an earlier one); a device or a FIFO (--output /dev/stdout, a named pipe) cannot be
// replaced and is written as is; no path: standard output.
#pragma once

#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "common/durable_fs.h"

namespace berth {

class OutputTarget {
 public:
  // Opens `path` (empty: standard output) for `component` ("predict", "eval") before any work is
  // done, so that a missing or unwritable directory is a usage error at once.
  OutputTarget(const std::string& path, const std::string& component);

  void write(std::string_view text);
  // The file appears under its name (committed), or the stream is flushed; a failed write throws
  // a data error naming the target.
  void finish();

 private:
  std::string path_;
  std::string component_;
  std::optional<durable::AtomicFile> file_;  // a regular or new file
  std::ofstream stream_;                     // a device or a FIFO
};

}  // namespace berth
