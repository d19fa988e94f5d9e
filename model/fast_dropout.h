// Dropout on CPU with masks from a counter-based generator instead of ATen's bernoulli_.
//
// ATen's CPU bernoulli_ (what at::dropout draws its mask with) took about 10 ns an element on the
// 2-core AMD EPYC build machine (profiles in BENCHMARKS.md; its vectorised MKL path is for Intel
// CPUs), several million elements a training step of the default model. Here one
// 64-bit seed is drawn from the default CPU generator per call (so train.seed, per-rank seeds
// and the generator state saved in checkpoints still decide the masks, and resume stays exact),
// and element i keeps its value where a hash of (seed, i) is at or above p: parallel, the same
// for any number of threads, a few multiplications per two elements. Kept values are scaled by 1 /
// (1 - p), in the input's dtype, as at::dropout does. The masks differ from ATen's, so a run with
// it on follows another (equally distributed) dropout sequence than one with it off.
#pragma once

#include <ATen/ATen.h>

namespace berth::model {

// Process-wide: on by default; off, every dropout is at::dropout (runtime.fast_dropout).
void set_fast_dropout(bool enabled);
bool fast_dropout_enabled();

// at::dropout(x, p, train) with the mask above on CPU tensors; ATen's elsewhere (CUDA has a
// fused kernel of its own) or when turned off. Differentiable through x.
at::Tensor dropout(const at::Tensor& x, double p, bool train);

// The mask alone ((x.sizes()), x's dtype, values 0 or 1 / (1 - p)) for a given seed: what
// dropout() multiplies by. For tests.
at::Tensor dropout_mask(const at::Tensor& like, double p, uint64_t seed);

}  // namespace berth::model
