#include "model/amx_int8_tiles.h"

#include <stdexcept>

#include "common/cpu_features.h"

namespace berth::model {

namespace {

// ldtilecfg's 64-byte operand, palette 1.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

// Tiles 0-3: the sums (rows 0-15 and 16-31, outputs 0-15 and 16-31); 4-5: the activations of
// rows 0-15 and 16-31; 6-7: the weights of outputs 0-15 and 16-31.
TileConfig every_tile_full() {
  TileConfig c;
  for (int t = 0; t < 8; ++t) c.bytes_per_row[t] = 64, c.rows[t] = 16;
  return c;
}

constexpr int64_t kStepBytes = 128;  // a panel's step: 4 inputs of 32 outputs
constexpr int64_t kSumBytes = 128;   // a row of the sums: 32 int32

}  // namespace

bool amx_int8_tiles_usable() {
#if defined(__x86_64__)
  static const bool usable = cpu_has_amx_int8();
  return usable;
#else
  return false;
#endif
}

#if defined(__x86_64__)
// In assembly, each statement with a memory clobber: GCC 12's tile intrinsics are asm statements
// without one, which would let the compiler move the reads of the stored sums above the store.
AmxTileScope::AmxTileScope() {
  static const TileConfig config = every_tile_full();
  asm volatile("ldtilecfg %0" ::"m"(config) : "memory");
}

AmxTileScope::~AmxTileScope() {
  asm volatile("tilerelease" ::: "memory");
}

void amx_panel_sums(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t steps, int rows,
                    int32_t* sums) {
  const int64_t weight_stride = kStepBytes, sum_stride = kSumBytes;
  if (rows == 32) {
    asm volatile("tilezero %%tmm0\n\ttilezero %%tmm1\n\ttilezero %%tmm2\n\ttilezero %%tmm3" ::
                     : "memory");
    const uint8_t* a16 = a + 16 * lda;
    for (int64_t k = 0; k < steps; k += 16) {
      const int8_t* w = panel + k * kStepBytes;
      asm volatile(
          "tileloadd (%[a],%[lda],1), %%tmm4\n\t"
          "tileloadd (%[w],%[ws],1), %%tmm6\n\t"
          "tileloadd 64(%[w],%[ws],1), %%tmm7\n\t"
          "tdpbusd %%tmm6, %%tmm4, %%tmm0\n\t"
          "tileloadd (%[a16],%[lda],1), %%tmm5\n\t"
          "tdpbusd %%tmm7, %%tmm4, %%tmm1\n\t"
          "tdpbusd %%tmm6, %%tmm5, %%tmm2\n\t"
          "tdpbusd %%tmm7, %%tmm5, %%tmm3" ::[a] "r"(a + k * 4),
          [a16] "r"(a16 + k * 4), [lda] "r"(lda), [w] "r"(w), [ws] "r"(weight_stride)
          : "memory");
    }
    int32_t* s16 = sums + 16 * 32;
    asm volatile(
        "tilestored %%tmm0, (%[s],%[ss],1)\n\t"
        "tilestored %%tmm1, 64(%[s],%[ss],1)\n\t"
        "tilestored %%tmm2, (%[s16],%[ss],1)\n\t"
        "tilestored %%tmm3, 64(%[s16],%[ss],1)" ::[s] "r"(sums),
        [s16] "r"(s16), [ss] "r"(sum_stride)
        : "memory");
    return;
  }
  if (rows != 16) throw std::logic_error("amx_panel_sums: blocks of 16 or 32 rows");
  asm volatile("tilezero %%tmm0\n\ttilezero %%tmm1" ::: "memory");
  for (int64_t k = 0; k < steps; k += 16) {
    const int8_t* w = panel + k * kStepBytes;
    asm volatile(
        "tileloadd (%[a],%[lda],1), %%tmm4\n\t"
        "tileloadd (%[w],%[ws],1), %%tmm6\n\t"
        "tileloadd 64(%[w],%[ws],1), %%tmm7\n\t"
        "tdpbusd %%tmm6, %%tmm4, %%tmm0\n\t"
        "tdpbusd %%tmm7, %%tmm4, %%tmm1" ::[a] "r"(a + k * 4),
        [lda] "r"(lda), [w] "r"(w), [ws] "r"(weight_stride)
        : "memory");
  }
  asm volatile(
      "tilestored %%tmm0, (%[s],%[ss],1)\n\t"
      "tilestored %%tmm1, 64(%[s],%[ss],1)" ::[s] "r"(sums),
      [ss] "r"(sum_stride)
      : "memory");
}
#else
AmxTileScope::AmxTileScope() {
  throw std::logic_error("AMX tiles on a CPU without them");
}
AmxTileScope::~AmxTileScope() = default;
void amx_panel_sums(const uint8_t*, int64_t, const int8_t*, int64_t, int, int32_t*) {
  throw std::logic_error("AMX tiles on a CPU without them");
}
#endif

}  // namespace berth::model
