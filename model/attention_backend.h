// Which fused attention kernels scaled_dot_product_attention may use on CUDA.
#pragma once

namespace berth::model {

// cuDNN's attention builds an execution plan per new (batch, length) shape (hundreds of ms), which
// dominates training and prediction with dynamic padding; off, PyTorch falls back to its
// memory-efficient kernel. Process-wide (ATen's global context); no effect on CPU.
void set_cudnn_attention(bool enabled);

}  // namespace berth::model
