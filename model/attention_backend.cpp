#include "model/attention_backend.h"

#include <ATen/Context.h>

namespace berth::model {

void set_cudnn_attention(bool enabled) {
  at::globalContext().setSDPUseCuDNN(enabled);
}

}  // namespace berth::model
