// Bytes -> the checkpoint manifest reader (JSON written by Berth, read back at resume and by
// `berth checkpoint verify`): parsed, or a berth::Error. (trainer_state.json's reader is not
// here yet: its header pulls in LibTorch through the loss scaler's state.)
#include <cstdint>
#include <string>

#include "checkpoint/manifest.h"
#include "common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    berth::checkpoint::parse_manifest(text, "fuzz/manifest.json");
  } catch (const berth::Error&) {
  }
  return 0;
}
