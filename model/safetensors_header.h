// The safetensors header (8-byte little-endian length, then a JSON object naming each tensor's
// dtype, shape and byte range in the data section that follows): parsed and validated apart from
// the file and from LibTorch, so that the untrusted part of a weights file can be fuzzed alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace berth::model {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as written: "F32", "BF16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte range in the data section
  uint64_t end = 0;
};

struct SafetensorsHeader {
  uint64_t data_start = 0;                // offset of the data section in the file
  std::vector<SafetensorsEntry> entries;  // sorted by name
  std::map<std::string, std::string> metadata;
};

// Validates the whole header of a file of `size` bytes starting at `bytes` (the entire file, so
// that every tensor's byte range is checked against the data actually present). Every error is
// a berth::model_error naming `path` and, where one is at fault, the tensor.
SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, uint64_t size,
                                           const std::string& path);

// Bytes per element for a safetensors dtype name; 0 for names the format does not define.
size_t safetensors_dtype_size(const std::string& dtype);

}  // namespace berth::model
