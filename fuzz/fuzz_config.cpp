// Bytes -> the training config: TOML text, and the same bytes as a --set override, are parsed
// and validated into a config or refused with a berth::Error naming the key.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "trainer/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto c = berth::trainer::TrainConfig::parse(text, "fuzz.toml");
    (void)c.to_toml();
  } catch (const berth::Error&) {
  }
  try {
    berth::trainer::TrainConfig::parse("[data]\ntrain = 'x.csv'\n", "fuzz.toml", {text});
  } catch (const berth::Error&) {
  }
  return 0;
}
