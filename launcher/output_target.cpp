#include "launcher/output_target.h"

#include <filesystem>

#include "common/error.h"

namespace berth {

void open_output(const std::string& path, const std::string& component, OutputTarget& target) {
  std::error_code ec;
  const auto type = std::filesystem::status(path, ec).type();
  if (type == std::filesystem::file_type::not_found ||
      type == std::filesystem::file_type::regular) {
    try {
      target.file.emplace(path, durable::Blame{component, ExitCode::kData});
    } catch (const Error& e) {  // not created at all: the option is at fault, not the data
      throw usage_error(component, e.message(),
                        "check --output: its directory must exist and be writable");
    }
    return;
  }
  target.stream.open(path, std::ios::trunc);
  if (!target.stream) throw usage_error(component, "cannot write " + path);
}

}  // namespace berth
