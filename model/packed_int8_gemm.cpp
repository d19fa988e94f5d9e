#include "model/packed_int8_gemm.h"

#include <ATen/Parallel.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "model/amx_int8_tiles.h"
#include "model/gemm_tiling.h"
#include "model/panel_row_store.h"

namespace berth::model {

namespace {

constexpr int64_t kPanel = 32;      // outputs per panel: two registers of 16 int32 sums
constexpr int64_t kStep = 4;        // inputs per vpdpbusd lane
constexpr int64_t kBlock = 12;      // rows per block: 24 accumulators of the 32 registers
constexpr int64_t kChunkRows = 96;  // rows per unit of parallel work (see packed_gemm.cpp)
constexpr int64_t kStepBytes = kPanel * kStep;  // one step of a panel: 128 bytes
constexpr int64_t kAmxSteps = 16;               // steps per AMX tile: 64 bytes a row
constexpr int64_t kAmxBlock = 32;               // rows per AMX block: two tiles of 16
constexpr int64_t kAmxChunkBlocks = 3;          // AMX blocks per unit of parallel work

// One panel's per-output constants and the activations' quantization of the block's rows.
struct Dequant {
  const float* weight_scale;      // 32 of them
  const int32_t* weight_sum;      // 32
  const float* bias;              // 32
  const float* row_scale;         // one per row of the block
  const int32_t* row_zero_point;  // one per row
};

using BlockFn = void (*)(const uint8_t*, int64_t, const int8_t*, int64_t, const Dequant&, float*,
                         int64_t, int64_t, const float*);
// The AMX block's: the same, and the block's number of rows (up to 32).
using AmxBlockFn = void (*)(const uint8_t*, int64_t, const int8_t*, int64_t, const Dequant&, float*,
                            int64_t, int64_t, const float*, int64_t);

#if defined(__x86_64__)
#define BERTH_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni,fma")))

// acc += the 4 u8 x s8 products of each 32-bit lane. In assembly: GCC's intrinsic copied every
// accumulator to a scratch register and to the stack around each vpdpbusd (0.7x fbgemm at 96
// rows); the constraint "+v" keeps each one in its register.
BERTH_VNNI __attribute__((always_inline)) inline void dpbusd(__m512i& acc, __m512i u8, __m512i s8) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
}

// One panel's dequantization, applied to a row's two vectors of int32 sums (outputs 0-15 and
// 16-31): y = a_scale w_scale (sum - zp wsum) + bias, then the shared epilogue and store
// (model/panel_row_store.h).
template <Epilogue E>
struct PanelEpilogue {
  BERTH_VNNI PanelEpilogue(const Dequant& dq, int64_t valid)
      : d(dq),
        masks(simd::panel_masks(valid)),
        w_scale_lo(_mm512_loadu_ps(dq.weight_scale)),
        w_scale_hi(_mm512_loadu_ps(dq.weight_scale + 16)),
        w_sum_lo(_mm512_loadu_si512(dq.weight_sum)),
        w_sum_hi(_mm512_loadu_si512(dq.weight_sum + 16)),
        bias_lo(_mm512_loadu_ps(dq.bias)),
        bias_hi(_mm512_loadu_ps(dq.bias + 16)) {}

  BERTH_VNNI __attribute__((always_inline)) inline void row(__m512i lo, __m512i hi, int64_t r,
                                                            float* c, int64_t ldc,
                                                            const float* residual) const {
    const __m512 a_scale = _mm512_set1_ps(d.row_scale[r]);
    const __m512i zp = _mm512_set1_epi32(d.row_zero_point[r]);
    // sum over k of (q_k - zp) w_k = sum q_k w_k - zp sum w_k
    const __m512i sum_lo = _mm512_sub_epi32(lo, _mm512_mullo_epi32(zp, w_sum_lo));
    const __m512i sum_hi = _mm512_sub_epi32(hi, _mm512_mullo_epi32(zp, w_sum_hi));
    simd::store_panel_row<E>(
        _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum_lo), _mm512_mul_ps(a_scale, w_scale_lo), bias_lo),
        _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum_hi), _mm512_mul_ps(a_scale, w_scale_hi), bias_hi),
        masks, c + r * ldc, E == Epilogue::kAddResidual ? residual + r * ldc : nullptr);
  }

  const Dequant& d;
  simd::PanelMasks masks;
  __m512 w_scale_lo, w_scale_hi;
  __m512i w_sum_lo, w_sum_hi;
  __m512 bias_lo, bias_hi;
};

// rows x 32 outputs of one panel over all `steps` groups of 4 inputs: int32 sums of u8 x s8,
// then y = a_scale w_scale (sum - zp wsum) + bias and the epilogue. `valid` columns are stored.
template <int Rows, Epilogue E>
BERTH_VNNI void int8_block(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t steps,
                           const Dequant& d, float* c, int64_t ldc, int64_t valid,
                           const float* residual) {
  // vpdpbusd's latency (5 cycles) needs about 10 independent sums in flight: under 4 rows each
  // row keeps Split partial sums over alternating steps.
  constexpr int Split = Rows >= 4 ? 1 : Rows == 1 ? 4 : 2;
  __m512i lo[Split][Rows], hi[Split][Rows];
#pragma GCC unroll 12
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 4
    for (int s = 0; s < Split; ++s) lo[s][r] = _mm512_setzero_si512(), hi[s][r] = lo[s][r];
  }
  // The row's 4 activations of a step, in every lane (a broadcast load).
#define BERTH_FOUR(r, k) \
  _mm512_set1_epi32(*reinterpret_cast<const int32_t*>(a + (r)*lda + (k)*kStep))
  int64_t k = 0;
  for (; k + Split <= steps; k += Split) {
#pragma GCC unroll 4
    for (int s = 0; s < Split; ++s) {
      const __m512i w_lo = _mm512_load_si512(panel + (k + s) * kStepBytes);
      const __m512i w_hi = _mm512_load_si512(panel + (k + s) * kStepBytes + 64);
#pragma GCC unroll 12
      for (int r = 0; r < Rows; ++r) {
        const __m512i x = BERTH_FOUR(r, k + s);
        dpbusd(lo[s][r], x, w_lo);
        dpbusd(hi[s][r], x, w_hi);
      }
    }
  }
  for (; k < steps; ++k) {  // the steps' remainder under Split
    const __m512i w_lo = _mm512_load_si512(panel + k * kStepBytes);
    const __m512i w_hi = _mm512_load_si512(panel + k * kStepBytes + 64);
#pragma GCC unroll 12
    for (int r = 0; r < Rows; ++r) {
      const __m512i x = BERTH_FOUR(r, k);
      dpbusd(lo[0][r], x, w_lo);
      dpbusd(hi[0][r], x, w_hi);
    }
  }
#undef BERTH_FOUR

  const PanelEpilogue<E> finish(d, valid);
#pragma GCC unroll 12
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 4
    for (int s = 1; s < Split; ++s) {
      lo[0][r] = _mm512_add_epi32(lo[0][r], lo[s][r]);
      hi[0][r] = _mm512_add_epi32(hi[0][r], hi[s][r]);
    }
    finish.row(lo[0][r], hi[0][r], r, c, ldc, residual);
  }
}

// rows (up to 32, the rest zero padding) x 32 outputs of one panel on AMX tiles, then the
// VNNI kernel's epilogue on each row's sums.
template <Epilogue E>
BERTH_VNNI void amx_block(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t steps,
                          const Dequant& d, float* c, int64_t ldc, int64_t valid,
                          const float* residual, int64_t rows) {
  alignas(64) int32_t sums[32 * kPanel];
  amx_panel_sums(a, lda, panel, steps, rows > 16 ? 32 : 16, sums);
  const PanelEpilogue<E> finish(d, valid);
  for (int64_t r = 0; r < rows; ++r)
    finish.row(_mm512_load_si512(sums + r * kPanel), _mm512_load_si512(sums + r * kPanel + 16), r,
               c, ldc, residual);
}

// The row's smallest and largest values, 0 included.
BERTH_VNNI void row_range(const float* x, int64_t n, float& lowest, float& highest) {
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  for (int64_t k = 0; k < n; k += 16) {
    const __mmask16 m = n - k >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - k)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + k);  // zeros past the end: 0 is in the range
    lo = _mm512_min_ps(lo, v), hi = _mm512_max_ps(hi, v);
  }
  lowest = _mm512_reduce_min_ps(lo), highest = _mm512_reduce_max_ps(hi);
}

// One row of activations to u8: clamp(round(x / scale) + zp, 0, qmax), rounding to nearest even
// as nearbyint does; the row's padding up to a whole step is zero (its weights are zero).
BERTH_VNNI void quantize_row(const float* x, int64_t n, float inverse_scale, int32_t zp,
                             int32_t qmax, uint8_t* q, int64_t padded) {
  const __m512 inv = _mm512_set1_ps(inverse_scale);
  const __m512i zero_point = _mm512_set1_epi32(zp), low = _mm512_setzero_si512();
  const __m512i high = _mm512_set1_epi32(qmax);
  for (int64_t k = 0; k < n; k += 16) {
    const __mmask16 m = n - k >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - k)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + k);
    __m512i i = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, inv)), zero_point);
    i = _mm512_min_epi32(_mm512_max_epi32(i, low), high);
    _mm512_mask_cvtepi32_storeu_epi8(q + k, m, i);
  }
  for (int64_t k = n; k < padded; ++k) q[k] = 0;
}
#undef BERTH_VNNI

template <Epilogue E, int... Rows>
constexpr std::array<BlockFn, sizeof...(Rows)> block_table(std::integer_sequence<int, Rows...>) {
  return {&int8_block<Rows + 1, E>...};
}

constexpr std::array<std::array<BlockFn, kBlock>, 3> blocks = {
    block_table<Epilogue::kStore>(std::make_integer_sequence<int, kBlock>{}),
    block_table<Epilogue::kGelu>(std::make_integer_sequence<int, kBlock>{}),
    block_table<Epilogue::kAddResidual>(std::make_integer_sequence<int, kBlock>{})};

constexpr std::array<AmxBlockFn, 3> amx_blocks = {
    &amx_block<Epilogue::kStore>, &amx_block<Epilogue::kGelu>, &amx_block<Epilogue::kAddResidual>};
#else
constexpr std::array<std::array<BlockFn, kBlock>, 3> blocks{};
constexpr std::array<AmxBlockFn, 3> amx_blocks{};
void quantize_row(const float*, int64_t, float, int32_t, int32_t, uint8_t*, int64_t) {}
void row_range(const float*, int64_t, float&, float&) {}
#endif

}  // namespace

bool packed_int8_gemm_supported() {
#if defined(__x86_64__)
  static const bool supported = __builtin_cpu_supports("avx512f") &&
                                __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512vnni");
  return supported;
#else
  return false;
#endif
}

PackedInt8Gemm::PackedInt8Gemm(const std::vector<at::Tensor>& weights,
                               const std::vector<at::Tensor>& biases, GemmActivation activation,
                               bool seven_bit, ActivationScales scales, int64_t amx_min_rows)
    : activation_(activation),
      seven_bit_(seven_bit),
      activation_scales_(scales),
      amx_min_rows_(amx_int8_tiles_usable() ? amx_min_rows : kNeverAmx) {
  if (!packed_int8_gemm_supported())
    throw std::logic_error("PackedInt8Gemm on a CPU without AVX-512 VNNI");
  if (weights.empty() || (!biases.empty() && biases.size() != weights.size()))
    throw std::logic_error("PackedInt8Gemm: one bias per weight, or none");
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> ws, bs;
  for (size_t i = 0; i < weights.size(); ++i) {
    ws.push_back(weights[i].detach().to(at::kCPU, at::kFloat));
    bs.push_back(!biases.empty() && biases[i].defined()
                     ? biases[i].detach().to(at::kCPU, at::kFloat)
                     : at::zeros({weights[i].size(0)}, at::kFloat));
  }
  const at::Tensor w = at::cat(ws).contiguous();  // (out, in)
  out_ = w.size(0), in_ = w.size(1);
  steps_ = (in_ + kStep - 1) / kStep;
  // AMX reads the inner dimension 64 inputs (16 steps) a tile: the weights' padding is zero.
  if (amx_min_rows_ != kNeverAmx) steps_ = (steps_ + kAmxSteps - 1) / kAmxSteps * kAmxSteps;
  const int64_t panels = (out_ + kPanel - 1) / kPanel, padded = panels * kPanel;
  const at::Tensor scale = int8_weight_scales(w);  // (out)
  const at::Tensor q =
      at::round(w / scale.unsqueeze(1)).clamp(-127, 127).to(at::kChar);  // (out, in)
  scales_ = at::zeros({padded}, at::kFloat);
  scales_.narrow(0, 0, out_).copy_(scale);
  sums_ = at::zeros({padded}, at::kInt);
  sums_.narrow(0, 0, out_).copy_(q.to(at::kInt).sum(1));
  bias_ = at::zeros({padded}, at::kFloat);
  bias_.narrow(0, 0, out_).copy_(at::cat(bs));
  // (padded out, steps * 4) -> (panels, steps, 32, 4): a step of a panel is 128 contiguous bytes.
  const at::Tensor full =
      at::constant_pad_nd(q, {0, steps_ * kStep - in_, 0, padded - out_}, 0);  // (padded, 4 steps)
  panels_ = full.view({panels, kPanel, steps_, kStep}).permute({0, 2, 1, 3}).contiguous();
}

at::Tensor PackedInt8Gemm::forward(const at::Tensor& x) const {
  return run(x, at::Tensor());
}

at::Tensor PackedInt8Gemm::forward_add(const at::Tensor& x, const at::Tensor& residual) const {
  return run(x, residual);
}

at::Tensor PackedInt8Gemm::run(const at::Tensor& x, const at::Tensor& residual) const {
  const GemmCall call = gemm_call("PackedInt8Gemm", x, residual, in_, out_, activation_);
  const int64_t rows = call.rows;
  const at::Tensor& y = call.output;
  if (rows == 0) return y;
  const int32_t qmax = seven_bit_ ? 127 : 255;
  const int64_t lda = steps_ * kStep;
  // On AMX the blocks are whole tiles of rows: the rows past the input are zeros.
  const bool amx = uses_amx(rows);
  const int64_t stored = amx ? (rows + kAmxBlock - 1) / kAmxBlock * kAmxBlock : rows;
  at::Tensor quantized = at::empty({stored, lda}, at::kByte);
  if (stored > rows) quantized.narrow(0, rows, stored - rows).zero_();
  at::Tensor row_scale = at::empty({rows}, at::kFloat), row_zp = at::empty({rows}, at::kInt);
  const float* pa = call.input.data_ptr<float>();
  uint8_t* pq = quantized.data_ptr<uint8_t>();
  float* p_scale = row_scale.data_ptr<float>();
  int32_t* p_zp = row_zp.data_ptr<int32_t>();
  const int64_t in = in_, out = out_;
  // A range with 0 in it (so that 0, the padding's value, is exact) to a scale and zero point,
  // in double and the scale then rounded to float, as LibTorch's ChooseQuantizationParams does:
  // per tensor, the same parameters to the bit as its fbgemm path.
  auto params = [qmax](float lo, float hi, float& scale, int32_t& zp) {
    const double wide = hi > lo ? (static_cast<double>(hi) - lo) / qmax : 1.0;
    scale = static_cast<float>(wide);
    zp = static_cast<int32_t>(std::clamp(std::nearbyint(-static_cast<double>(lo) / wide), 0.0,
                                         static_cast<double>(qmax)));
  };
  float tensor_scale = 0;
  int32_t tensor_zp = 0;
  if (activation_scales_ == ActivationScales::kPerTensor) {
    const auto [lowest, highest] = at::aminmax(call.input);
    params(std::min(0.0f, lowest.item<float>()), std::max(0.0f, highest.item<float>()),
           tensor_scale, tensor_zp);
  }
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      if (activation_scales_ == ActivationScales::kPerRow) {
        float lo = 0, hi = 0;
        row_range(pa + r * in, in, lo, hi);
        params(lo, hi, p_scale[r], p_zp[r]);
      } else {
        p_scale[r] = tensor_scale, p_zp[r] = tensor_zp;
      }
      quantize_row(pa + r * in, in, 1.0f / p_scale[r], p_zp[r], qmax, pq + r * lda, lda);
    }
  });
  const auto& block = blocks[static_cast<size_t>(call.epilogue)];
  const int8_t* pw = panels_.data_ptr<int8_t>();
  const float* ps = scales_.data_ptr<float>();
  const int32_t* psum = sums_.data_ptr<int32_t>();
  const float* pb = bias_.data_ptr<float>();
  const float* pr = call.residual.defined() ? call.residual.data_ptr<float>() : nullptr;
  float* py = y.data_ptr<float>();
  const int64_t panels = panels_.size(0), steps = steps_;
  if (amx) {
    // Chunk-major work items of up to 3 blocks of 32 rows by one panel, as for_each_panel_block
    // does for the VNNI blocks; each thread holds the tile configuration for its items.
    const auto& amx_block = amx_blocks[static_cast<size_t>(call.epilogue)];
    const int64_t row_blocks = (rows + kAmxBlock - 1) / kAmxBlock;
    const RowChunks chunks = even_row_chunks(row_blocks, kAmxChunkBlocks, 1, at::get_num_threads());
    at::parallel_for(0, chunks.count * panels, 1, [&](int64_t begin, int64_t end) {
      const AmxTileScope tiles;
      for (int64_t item = begin; item < end; ++item) {
        const int64_t chunk = item / panels, p = item % panels;
        const int64_t first = chunk * chunks.rows;
        const int64_t last = std::min(row_blocks, first + chunks.rows);
        for (int64_t b = first; b < last; ++b) {
          const int64_t r = b * kAmxBlock, at = r * out + p * kPanel;
          const Dequant d{ps + p * kPanel, psum + p * kPanel, pb + p * kPanel, p_scale + r,
                          p_zp + r};
          amx_block(pq + r * lda, lda, pw + p * steps * kStepBytes, steps, d, py + at, out,
                    std::min(kPanel, out - p * kPanel), pr ? pr + at : nullptr,
                    std::min(kAmxBlock, rows - r));
        }
      }
    });
    return y;
  }
  for_each_panel_block(rows, panels, kChunkRows, kBlock, [&](int64_t p, int64_t r, int64_t n) {
    const int64_t at = r * out + p * kPanel;
    const Dequant d{ps + p * kPanel, psum + p * kPanel, pb + p * kPanel, p_scale + r, p_zp + r};
    block[n - 1](pq + r * lda, lda, pw + p * steps * kStepBytes, steps, d, py + at, out,
                 std::min(kPanel, out - p * kPanel), pr ? pr + at : nullptr);
  });
  return y;
}

}  // namespace berth::model
