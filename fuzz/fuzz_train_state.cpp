// Bytes -> the trainer_state.json reader (read back at every resume, from a file that a crash, a
// full disk or a hand edit may have damaged): a TrainState or a berth::Error naming the file.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "trainer/train_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    berth::trainer::TrainState::parse(text, "fuzz/trainer_state.json");
  } catch (const berth::Error&) {
  }
  return 0;
}
