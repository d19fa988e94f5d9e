// AMX int8 tiles for PackedInt8Gemm's larger calls: the int32 sums of u8 activations with the
// int8 weights of one 32-output panel, 16 or 32 rows at a time, on the tile unit (tdpbusd: a
// 16 x 16 x 64 multiply-add per instruction, 4x a core's AVX-512 VNNI).
//
// The panels of model/packed_int8_gemm.h are AMX's B tiles as they are: a step of a panel holds
// 4 inputs of 32 outputs, so 16 steps of its first (last) 16 outputs are one 16-row x 64-byte
// tile read with a row stride of 128 bytes. The activations' rows are A tiles read in place.
// Only the sums come from the tiles; quantization, dequantization and the epilogue are the VNNI
// kernel's, so the results are the same to the bit (integer sums are exact).
#pragma once

#include <cstdint>

namespace berth::model {

// Whether this process runs AMX int8 tiles: the CPU lists amx_int8 and the kernel granted the
// tile state (common/cpu_features.h).
bool amx_int8_tiles_usable();

// A thread's tile configuration (every tile 16 rows x 64 bytes), loaded for the lifetime of the
// scope and released after it: tile instructions fault without one, and the release hands the
// 8 KB tile state back so that context switches stop saving it.
class AmxTileScope {
 public:
  AmxTileScope();
  ~AmxTileScope();
  AmxTileScope(const AmxTileScope&) = delete;
  AmxTileScope& operator=(const AmxTileScope&) = delete;
};

// sums (rows, 32) row-major = the block's `rows` (16 or 32) rows of u8 activations a, row
// stride lda bytes, times one panel of `steps` steps (a multiple of 16) as int8; a and the
// panel's rows may be read up to a whole tile past the data (both are padded with zeros by the
// caller). Inside an AmxTileScope.
void amx_panel_sums(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t steps, int rows,
                    int32_t* sums);

}  // namespace berth::model
