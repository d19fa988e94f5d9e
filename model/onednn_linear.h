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

struct OnednnPrepack {
  // A BERT feed-forward whose activation is erf GELU gets it as its GEMM's post-op.
  bool fuse_gelu = true;
  // The packed layers' fp32 weights are freed (the packed copy is all their forward reads):
  // an inference-only model then holds its weights once. state_dict() is no longer whole.
  bool release_fp32_weights = false;
};

// Gives every fp32 Dense inside `root` not under a `skip` prefix a oneDNN-packed weight, except
// q, k and v: each attention gets one packed GEMM over their concatenation (packed_qkv), while
// the three stay fp32 (for the [CLS]-only last layer, which takes k and v as one block and q on
// its own; the predictor keeps them as views of one concatenation). Returns how many GEMMs were
// packed. Inference only.
int prepack_linears_onednn(torch::nn::Module& root, const std::vector<std::string>& skip = {},
                           const OnednnPrepack& how = {});

}  // namespace berth::model
