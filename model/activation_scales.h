// How an int8 kernel quantizes its activations per call (model/packed_int8_gemm.h).
#pragma once

namespace berth::model {

// One scale and zero point for the whole input (as LibTorch's dynamic quantization), or one per
// row (token), which follows each token's own range.
enum class ActivationScales { kPerTensor, kPerRow };

}  // namespace berth::model
