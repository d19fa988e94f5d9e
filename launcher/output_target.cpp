#include "launcher/output_target.h"

#include <filesystem>
#include <iostream>

#include "common/error.h"

namespace berth {

OutputTarget::OutputTarget(const std::string& path, const std::string& component)
    : path_(path), component_(component) {
  if (path.empty()) return;
  std::error_code ec;
  const auto type = std::filesystem::status(path, ec).type();
  if (type == std::filesystem::file_type::not_found ||
      type == std::filesystem::file_type::regular) {
    try {
      file_.emplace(path, durable::Blame{component, ExitCode::kData});
    } catch (const Error& e) {  // not created at all: the option is at fault, not the data
      throw usage_error(component, e.message(),
                        "check --output: its directory must exist and be writable");
    }
    return;
  }
  stream_.open(path, std::ios::trunc);
  if (!stream_) throw usage_error(component, "cannot write " + path);
}

void OutputTarget::write(std::string_view text) {
  if (file_) {
    file_->write(text);
    return;
  }
  std::ostream& out = stream_.is_open() ? static_cast<std::ostream&>(stream_) : std::cout;
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

void OutputTarget::finish() {
  if (file_) {
    file_->commit();
    return;
  }
  std::ostream& out = stream_.is_open() ? static_cast<std::ostream&>(stream_) : std::cout;
  out.flush();
  if (!out)
    throw data_error(component_,
                     "cannot write " + (path_.empty() ? std::string("standard output") : path_),
                     "is the disk full, or the pipe closed?");
}

}  // namespace berth
