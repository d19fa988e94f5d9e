#include "model/safetensors_header.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth::model {

namespace {

using nlohmann::json;

// The reference implementation refuses larger headers; so do we, before allocating for one.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

[[noreturn]] void fail(const std::string& path, const std::string& what,
                       const std::string& hint = {}) {
  throw model_error("model", path + ": " + what, hint);
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

uint64_t read_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

size_t safetensors_dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "BOOL" || d == "U8" || d == "I8" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, uint64_t size,
                                           const std::string& path) {
  if (size < 8)
    fail(path, "truncated: " + std::to_string(size) + " bytes, not even the 8-byte header length",
         "the download or copy was probably interrupted; fetch the file again");
  SafetensorsHeader h;
  uint64_t header_len = read_le64(bytes);
  if (header_len > kMaxHeaderBytes || header_len > size - 8)
    fail(path,
         "header length " + std::to_string(header_len) + " runs past the end of the file (" +
             std::to_string(size) + " bytes)",
         "the file is truncated or not a safetensors file");
  h.data_start = 8 + header_len;
  const uint64_t data_size = size - h.data_start;

  json header;
  try {
    header = json::parse(bytes + 8, bytes + 8 + header_len);
  } catch (const json::exception& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");

  for (auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) fail(path, "__metadata__ is not an object");
      for (auto& [k, mv] : v.items()) {
        if (!mv.is_string()) fail(path, "__metadata__ value for \"" + k + "\" is not a string");
        h.metadata[k] = mv.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor \"" + name + "\"";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets"))
      fail(path, where + ": expected {dtype, shape, data_offsets}");
    SafetensorsEntry e;
    e.name = name;
    if (!v["dtype"].is_string()) fail(path, where + ": dtype is not a string");
    e.dtype = v["dtype"].get<std::string>();
    size_t elem = safetensors_dtype_size(e.dtype);
    if (elem == 0) fail(path, where + ": unknown dtype \"" + e.dtype + "\"");
    if (!v["shape"].is_array()) fail(path, where + ": shape is not an array");
    uint64_t count = 1;
    for (auto& d : v["shape"]) {
      if (!d.is_number_unsigned())
        fail(path, where + ": shape " + v["shape"].dump() + " is invalid");
      uint64_t n = d.get<uint64_t>();
      if (n != 0 && count > std::numeric_limits<uint64_t>::max() / 8 / n)
        fail(path, where + ": shape " + v["shape"].dump() + " is too large");
      count *= n;
      e.shape.push_back(static_cast<int64_t>(n));
    }
    auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      fail(path, where + ": data_offsets must be [begin, end]");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      fail(path,
           where + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
               "] out of range (data section has " + std::to_string(data_size) + " bytes)",
           "the file is truncated or corrupt");
    if (e.end - e.begin != count * elem)
      fail(path, where + ": shape " + shape_string(e.shape) + " of " + e.dtype + " needs " +
                     std::to_string(count * elem) + " bytes but data_offsets span " +
                     std::to_string(e.end - e.begin));
    h.entries.push_back(std::move(e));
  }

  // Overlapping ranges would alias two tensors: a sign of a corrupt or malicious header.
  std::vector<const SafetensorsEntry*> by_offset;
  for (auto& e : h.entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const auto* prev = by_offset[i - 1];
    const auto* cur = by_offset[i];
    if (cur->begin < prev->end && cur->end > cur->begin)
      fail(path, "tensor \"" + cur->name + "\" overlaps tensor \"" + prev->name + "\" in the data");
  }
  std::sort(h.entries.begin(), h.entries.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return h;
}

}  // namespace berth::model
