// A collated batch (data/batch.h, plain vectors) as tensors on a device.
#pragma once

#include <ATen/ATen.h>

#include "data/batch.h"

namespace berth::trainer {

struct BatchTensors {
  at::Tensor input_ids;       // (batch, seq) int64
  at::Tensor attention_mask;  // (batch, seq) int64
  at::Tensor token_type_ids;  // (batch, seq) int64
  at::Tensor labels;          // (batch) int64
};

inline BatchTensors to_tensors(data::Batch& b, const at::Device& device) {
  auto make = [&](std::vector<int64_t>& v, at::IntArrayRef shape) {
    return at::from_blob(v.data(), shape, at::kLong).clone().to(device);
  };
  return {make(b.input_ids, {b.batch_size, b.seq_len}),
          make(b.attention_mask, {b.batch_size, b.seq_len}),
          make(b.token_type_ids, {b.batch_size, b.seq_len}), make(b.labels, {b.batch_size})};
}

}  // namespace berth::trainer
