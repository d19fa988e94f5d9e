// Applying a config's Activation (model/bert_config.h) to a tensor, for the layers of the other
// encoder families (feed-forwards, poolers, heads).
#pragma once

#include <ATen/ATen.h>

#include "model/bert_config.h"

namespace berth::model {

inline at::Tensor apply_activation(Activation a, const at::Tensor& x) {
  switch (a) {
    case Activation::kGelu:
      return at::gelu(x);
    case Activation::kGeluTanh:
      return at::gelu(x, "tanh");
    case Activation::kRelu:
      return at::relu(x);
    case Activation::kSilu:
      return at::silu(x);
  }
  return x;
}

}  // namespace berth::model
