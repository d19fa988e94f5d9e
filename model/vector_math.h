// AVX-512 functions for the packed GEMM kernels' epilogues (model/packed_gemm.cpp,
// model/packed_int8_gemm.cpp), applied to a tile while it is still in registers. x86-64 only;
// callers check the CPU first.
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

namespace berth::model::simd {

// e^x for x <= 0 (to about 1 ulp; 0 below -87): 2^n e^r with |r| <= ln 2 / 2, e^r by its
// Taylor series to r^7, whose remainder is under 1e-8 there.
__attribute__((target("avx512f,fma"))) inline __m512 exp_nonpositive(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln 2 in two parts, the first exact in few bits, so that x - n ln 2 loses nothing.
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  for (float c : {1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f})
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
  return _mm512_scalef_ps(p, n);
}

// x Phi(x), Phi the standard normal CDF (GELU, erf form). Phi(-|x|) = erfc(z) / 2 with
// z = |x| / sqrt 2, and erfc(z) = t P(t) e^(-z^2), t = 1 / (1 + p z) (Abramowitz and Stegun
// 7.1.26, absolute error under 1.5e-7): then x Phi(x) = x (1 - q) for x >= 0 and x q below, with
// q = Phi(-|x|).
__attribute__((target("avx512f,fma"))) inline __m512 gelu_erf(__m512 x) {
  const __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f));
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(z, _mm512_set1_ps(0.3275911f), one));
  __m512 poly = _mm512_set1_ps(1.061405429f);
  for (float c : {-1.453152027f, 1.421413741f, -0.284496736f, 0.254829592f})
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(c));
  poly = _mm512_mul_ps(poly, t);
  const __m512 e = exp_nonpositive(_mm512_mul_ps(_mm512_mul_ps(z, z), _mm512_set1_ps(-1.0f)));
  const __m512 q = _mm512_mul_ps(_mm512_mul_ps(poly, e), _mm512_set1_ps(0.5f));
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mul_ps(x, _mm512_mask_blend_ps(negative, _mm512_sub_ps(one, q), q));
}

}  // namespace berth::model::simd
#endif
