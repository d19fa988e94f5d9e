// int8 linear maps on AVX-512 VNNI with the weights packed once, for CPU inference:
// y = dequant(quant(x) Wq^T) + b, then the epilogue (GELU, or a residual added).
//
// LibTorch's dynamic quantized linear (fbgemm) makes separate passes per call: the activations'
// range, their quantization, the int8 GEMM, the requantization to fp32 with the bias; the GELU
// and the residual add are more passes after it. A profile of int8 prediction on a CPU without
// AMX put about 20 % of the time in those passes outside the GEMM. Here the range and the
// quantization are one pass each, and everything after the GEMM happens on the tile in
// registers (BENCHMARKS.md, "int8 on Berth's VNNI kernel").
//
// Weights as quantize_linears_int8's for fbgemm: per output channel, symmetric int8 (scale =
// max |w| / 127). Activations per call, asymmetric u8 from their range with 0 included, per
// tensor (LibTorch's dynamic quantization, to the bit in 7 bits) or per row (token), in 7 bits
// (0..127) or 8. vpdpbusd sums u8 x s8 products in int32 without the int16 saturation of AVX2's
// vpmaddubsw, so 8 bits are safe here.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "model/activation_scales.h"
#include "model/int8_linear.h"
#include "model/packed_gemm.h"

namespace berth::model {

// True when this CPU runs the kernel (AVX-512 F, BW and VNNI).
bool packed_int8_gemm_supported();

class PackedInt8Gemm final : public PackedLinear {
 public:
  // The weights' rows stacked along the outputs (q, k and v as one GEMM); one bias per weight,
  // or none. fp32 on the CPU. seven_bit: activations in 0..127 rather than 0..255; scales: one
  // range per call or one per row. amx_min_rows: calls of this many rows or more take their sums
  // from AMX tiles (model/amx_int8_tiles.h) where the process may use them, with the same
  // results; fewer rows run on vpdpbusd.
  PackedInt8Gemm(const std::vector<at::Tensor>& weights, const std::vector<at::Tensor>& biases,
                 GemmActivation activation = GemmActivation::kNone, bool seven_bit = true,
                 ActivationScales scales = ActivationScales::kPerTensor,
                 int64_t amx_min_rows = kNeverAmx);
  // x (..., in) fp32 -> (..., out) fp32
  at::Tensor forward(const at::Tensor& x) const override;
  at::Tensor forward_add(const at::Tensor& x, const at::Tensor& residual) const override;
  int64_t out_features() const { return out_; }
  // Whether a call of `rows` rows takes its sums from AMX tiles.
  bool uses_amx(int64_t rows) const { return rows >= amx_min_rows_; }

 private:
  int64_t out_ = 0, in_ = 0, steps_ = 0;  // steps_: the inner dimension in groups of 4
  // int8 (out / 32 rounded up, steps, 32, 4): 4 inputs of 32 outputs a step; with AMX, steps
  // rounded up to 16 (a tile's 64 inputs)
  at::Tensor panels_;
  at::Tensor scales_;  // fp32 (padded out): each output's weight scale
  at::Tensor sums_;    // int32 (padded out): each output's sum of quantized weights
  at::Tensor bias_;    // fp32 (padded out), zeros where the layer has none
  GemmActivation activation_ = GemmActivation::kNone;
  bool seven_bit_ = true;
  ActivationScales activation_scales_ = ActivationScales::kPerTensor;
  int64_t amx_min_rows_ = kNeverAmx;  // kNeverAmx where the process has no AMX tiles

  at::Tensor run(const at::Tensor& x, const at::Tensor& residual) const;
};

}  // namespace berth::model
