// torch.finfo(dtype).min: what Hugging Face fills masked attention scores with. One definition for
// every family's mask (BERT's additive mask, DeBERTa's and ModernBERT's fills).
#pragma once

#include <ATen/ATen.h>

#include <limits>

namespace berth::model {

inline double dtype_lowest(at::ScalarType t) {
  switch (t) {
    case at::kDouble:
      return std::numeric_limits<double>::lowest();
    case at::kHalf:
      return static_cast<float>(std::numeric_limits<c10::Half>::lowest());
    case at::kBFloat16:
      return static_cast<float>(std::numeric_limits<c10::BFloat16>::lowest());
    default:
      return std::numeric_limits<float>::lowest();
  }
}

}  // namespace berth::model
