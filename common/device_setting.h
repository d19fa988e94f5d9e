// runtime.device and --device: "cpu", "cuda" (the GPU that the rank's node-local rank picks, see
// distributed/device_choice.h) or "cuda:N". Parsed once, where the config or the command line is
// validated; everything after that reads the parsed value. Torch-free so data/ and model/ options
// can hold it too.
#pragma once

#include <optional>
#include <string>

namespace berth {

struct DeviceSetting {
  enum class Kind { kCpu, kCuda };
  Kind kind = Kind::kCpu;
  int index = -1;  // cuda:N; -1 when no index was given

  bool is_cuda() const { return kind == Kind::kCuda; }
  // The text it was parsed from: "cpu", "cuda" or "cuda:N".
  std::string str() const;
  // Null for anything else: "cuda:x", "cuda:", an index that does not fit an int, spaces.
  static std::optional<DeviceSetting> parse(const std::string& text);
  // For error hints.
  static constexpr const char* kAllowed = "cpu, cuda or cuda:N (N a GPU index, 0 or more)";

  bool operator==(const DeviceSetting& o) const { return kind == o.kind && index == o.index; }
};

}  // namespace berth
