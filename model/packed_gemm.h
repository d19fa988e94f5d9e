// fp32 linear maps over weights packed once, for CPU inference: y = x W^T + b.
//
// MKL's sgemm, behind at::linear, copies the weight matrix into its own panel layout on every
// call. At a batch-1 text's 5 to 60 rows that copy is as long as the arithmetic: a profile of
// predict_latency put 30% of a forward pass in mkl_blas_avx512_sgemm_scopy_right48
// (BENCHMARKS.md, "fp32 batch-1 latency: weights packed once"). Here the weights are laid out
// once, at load, in the order the kernel reads them, and the kernel (AVX-512 FMA, 12 rows x
// 32 columns of accumulators) reads them straight from there. The packed copy replaces the
// weight: the same bytes, rounded up to 32 output features.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "model/gemm_call.h"
#include "model/int8_linear.h"

namespace berth::model {

// True when this CPU runs the packed kernel (AVX-512F; the fleet's AVX2-only machines keep
// at::linear).
bool packed_gemm_supported();

class PackedGemm final : public PackedLinear {
 public:
  // weight (out, in), bias (out) or undefined; fp32 on the CPU. kGelu: forward returns
  // gelu(x W^T + b), erf form (at::gelu's default).
  PackedGemm(const at::Tensor& weight, const at::Tensor& bias,
             GemmActivation activation = GemmActivation::kNone);
  // The weights' rows stacked (as at::cat along the outputs, without making the concatenation):
  // q, k and v as one GEMM. Biases: one per weight, or none.
  PackedGemm(const std::vector<at::Tensor>& weights, const std::vector<at::Tensor>& biases);
  // x (..., in) -> (..., out)
  at::Tensor forward(const at::Tensor& x) const override;
  // x W^T + b + residual (of the output's shape), the residual added in the epilogue.
  at::Tensor forward_add(const at::Tensor& x, const at::Tensor& residual) const override;
  int64_t out_features() const { return out_; }
  int64_t in_features() const { return in_; }

 private:
  int64_t out_ = 0, in_ = 0;
  at::Tensor panels_;  // (out / 32 rounded up, in, 32): panel p holds features 32p..32p+31
  at::Tensor bias_;    // (out rounded up to 32), zeros where the layer has none
  GemmActivation activation_ = GemmActivation::kNone;

  at::Tensor run(const at::Tensor& x, const at::Tensor& residual) const;
};

}  // namespace berth::model

namespace torch::nn {
class Module;
}

namespace berth::model {

// Gives every fp32 Dense inside `root` not under a `skip` prefix a PackedGemm and releases its
// fp32 weight and bias (to empty tensors): the model is for inference from then on. Each BERT
// attention gets one PackedGemm over q, k and v concatenated (packed_qkv, also for the
// [CLS]-only layer: cls_from_packed_qkv); each BERT feed-forward with the erf GELU applies it in
// its GEMM (activation_in_dense). Returns how many GEMMs were packed; 0 where
// packed_gemm_supported() is false, leaving the model as it was.
int pack_fp32_linears(torch::nn::Module& root, const std::vector<std::string>& skip = {});

}  // namespace berth::model
