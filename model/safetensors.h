// The safetensors format (8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw data): a validating, memory-mapped reader and an
// atomic float32 writer. Hugging Face model directories ship their weights this way.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "model/safetensors_header.h"

namespace berth::model {

// Opens and validates the whole header up front (so that a damaged file fails before any weight
// is used): every error is a berth::model_error naming the file and, where one is at fault, the
// tensor. The file stays mapped until the object dies; tensors are copied out, and each
// tensor's pages are dropped from the mapping after its copy (load_into).
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  // Sorted by name.
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const SafetensorsEntry* find(const std::string& name) const;
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // A float32 CPU tensor owning its memory. F32, F16 and BF16 are supported (half types are
  // widened, exactly); any other dtype throws.
  at::Tensor load(const std::string& name) const;
  // Fills `out` (a CPU tensor of the entry's shape, any floating dtype) with the tensor: F32
  // into a contiguous float32 `out` goes straight from the file with no intermediate copy. Either
  // way the file's pages of the tensor are released from this process once copied, so that a
  // load never holds the weights twice (the copy and the mapped file pages, both in its RSS).
  void load_into(const std::string& name, at::Tensor& out) const;

 private:
  std::string path_;
  int fd_ = -1;
  const uint8_t* map_ = nullptr;
  uint64_t size_ = 0;
  uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Writes float32 tensors (any device or floating dtype; converted) under their names, with
// __metadata__ {"format": "pt"} plus `metadata`. Atomic: a temporary file in the same directory is
// fsynced and renamed over `path`, so readers never see a half-written file.
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace berth::model
