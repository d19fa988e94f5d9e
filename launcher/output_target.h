// Where `--output` of predict and eval goes: a regular (or new) file appears only whole, through
// common's durable writer (a full disk or an error leaves no partial file under the name, nor
// removes an earlier one); a device or a FIFO (--output /dev/stdout, a named pipe) cannot be
// replaced and is written as is.
#pragma once

#include <fstream>
#include <optional>
#include <string>

#include "common/durable_fs.h"

namespace berth {

struct OutputTarget {
  std::optional<durable::AtomicFile> file;  // a regular or new file
  std::ofstream stream;                     // a device or a FIFO
};

// Opens `path` for `component` ("predict", "eval") into `target`, before any work is done, so
// that a missing or unwritable directory is a usage error at once.
void open_output(const std::string& path, const std::string& component, OutputTarget& target);

}  // namespace berth
