// The last step both packed GEMM kernels (model/packed_gemm.cpp, model/packed_int8_gemm.cpp)
// take for each row of a 32-output panel: the epilogue on the row's two vectors of 16 outputs,
// then the store of the columns the layer has. x86-64 only; callers check the CPU first.
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>

#include "model/gemm_call.h"
#include "model/vector_math.h"

namespace berth::model::simd {

// Which of a panel row's outputs 0-15 (lo) and 16-31 (hi) exist: the layer's last panel may end
// before 32 columns.
struct PanelMasks {
  __mmask16 lo, hi;
};

inline PanelMasks panel_masks(int64_t valid) {
  return {valid >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << valid) - 1),
          valid >= 32   ? __mmask16{0xFFFF}
          : valid <= 16 ? __mmask16{0}
                        : static_cast<__mmask16>((1u << (valid - 16)) - 1)};
}

// GELU on the row, or its residual (at the same offset as the output) added, then the store.
template <Epilogue E>
__attribute__((target("avx512f,fma"), always_inline)) inline void store_panel_row(
    __m512 lo, __m512 hi, PanelMasks m, float* c, const float* residual) {
  if constexpr (E == Epilogue::kGelu) {
    lo = gelu_erf(lo), hi = gelu_erf(hi);
  } else if constexpr (E == Epilogue::kAddResidual) {
    lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(m.lo, residual));
    hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(m.hi, residual + 16));
  }
  _mm512_mask_storeu_ps(c, m.lo, lo);
  _mm512_mask_storeu_ps(c + 16, m.hi, hi);
}

}  // namespace berth::model::simd
#endif
