// fp32 linear maps with their weights prepacked once for oneDNN (CPU inference): the packed
// path Inductor's CPU freezing uses (mkldnn::_reorder_linear_weight at load,
// mkldnn::_linear_pointwise per call), optionally with the feed-forward's GELU as the GEMM's
// post-op instead of a second pass over its output.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>

#include "model/int8_linear.h"

namespace berth::model {

// What the GEMM applies to its output before writing it.
enum class LinearPostOp { kNone, kGelu };

// Whether this LibTorch has oneDNN (mkldnn) with its linear ops registered.
bool onednn_linear_supported();

// Packs one fp32 (out, in) weight and its (out) bias. GELU is the exact (erf) form.
std::shared_ptr<const PackedLinear> pack_onednn_linear(const at::Tensor& weight,
                                                       const at::Tensor& bias,
                                                       LinearPostOp post = LinearPostOp::kNone);

// Gives every fp32 Dense inside `root` not under a `skip` prefix, and every q/k/v GEMM
// concatenated by the predictor (BertSelfAttention::packed_qkv), a oneDNN-packed weight; with
// fuse_gelu, a BERT feed-forward whose activation is erf GELU gets it as the GEMM's post-op.
// Returns how many were packed. Inference only: the packed weights are copies.
int prepack_linears_onednn(torch::nn::Module& root, const std::vector<std::string>& skip = {},
                           bool fuse_gelu = true);

}  // namespace berth::model
