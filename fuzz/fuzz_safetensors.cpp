// Bytes -> the safetensors header parser (a weights file is untrusted input: downloaded, copied,
// truncated): a validated header whose every tensor lies inside the data present, or a
// berth::Error. Nothing else (a crash, UB, a leak, another exception).
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "model/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto h = berth::model::parse_safetensors_header(data, size, "fuzz/model.safetensors");
    // The contract the loader relies on before it copies bytes out of the mapping.
    if (h.data_start < 8 || h.data_start > size) std::abort();
    for (const auto& e : h.entries)
      if (e.begin > e.end || e.end > size - h.data_start) std::abort();
  } catch (const berth::Error&) {
  }
  return 0;
}
