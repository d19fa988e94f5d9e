// A collated batch (data/batch.h, plain vectors) as tensors on a device: the one batch -> tensors
// path of training, evaluation and prediction. data::collate pads (to the longest example of the
// batch, rounded up to its pad_to_multiple argument), these functions only move the arrays.
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>

#include "data/batch.h"

namespace berth::model {

struct BatchTensors {
  at::Tensor input_ids;       // (batch, seq) int64
  at::Tensor attention_mask;  // (batch, seq) int64; undefined when the batch has no padding
  at::Tensor token_type_ids;  // (batch, seq) int64
  at::Tensor labels;          // (batch) int64, or (batch, labels) int64 0/1 for multi-label
};

// Copies of the batch's arrays on `device` (one copy each: the tensors own their memory).
inline BatchTensors to_tensors(const data::Batch& b, const at::Device& device) {
  auto make = [&](const std::vector<int64_t>& v, at::IntArrayRef shape) {
    auto host = at::empty(shape, at::kLong);
    std::memcpy(host.data_ptr<int64_t>(), v.data(), v.size() * sizeof(int64_t));
    return device.is_cpu() ? host : host.to(device);
  };
  std::vector<int64_t> label_shape{b.batch_size};
  if (b.label_count > 0) label_shape.push_back(b.label_count);
  return {make(b.input_ids, {b.batch_size, b.seq_len}),
          make(b.attention_mask, {b.batch_size, b.seq_len}),
          make(b.token_type_ids, {b.batch_size, b.seq_len}), make(b.labels, label_shape)};
}

inline bool has_padding(const data::Batch& b) {
  return std::find(b.attention_mask.begin(), b.attention_mask.end(), 0) != b.attention_mask.end();
}

// The four arrays in one host buffer, (3 * batch * seq + labels) int64: ids | mask | types |
// labels (batch, or batch * label_count multi-hot). Pinned, it goes to the GPU in one copy that
// does not block the host, so the next batch is read and collated while the device still runs the
// current step.
inline at::Tensor pack_batch(const data::Batch& b, bool pinned) {
  const int64_t n = b.batch_size * b.seq_len;
  auto packed = at::empty({3 * n + static_cast<int64_t>(b.labels.size())},
                          at::TensorOptions().dtype(at::kLong).pinned_memory(pinned));
  int64_t* p = packed.data_ptr<int64_t>();
  std::memcpy(p, b.input_ids.data(), n * sizeof(int64_t));
  std::memcpy(p + n, b.attention_mask.data(), n * sizeof(int64_t));
  std::memcpy(p + 2 * n, b.token_type_ids.data(), n * sizeof(int64_t));
  std::memcpy(p + 3 * n, b.labels.data(), b.labels.size() * sizeof(int64_t));
  return packed;
}

// Views of a packed buffer (on any device); `masked` false leaves the mask undefined;
// `label_count` > 0: multi-hot labels (batch, label_count).
inline BatchTensors unpack_batch(const at::Tensor& packed, int64_t batch, int64_t seq, bool masked,
                                 int64_t label_count = 0) {
  const int64_t n = batch * seq;
  BatchTensors t;
  t.input_ids = packed.narrow(0, 0, n).view({batch, seq});
  if (masked) t.attention_mask = packed.narrow(0, n, n).view({batch, seq});
  t.token_type_ids = packed.narrow(0, 2 * n, n).view({batch, seq});
  t.labels = label_count > 0
                 ? packed.narrow(0, 3 * n, batch * label_count).view({batch, label_count})
                 : packed.narrow(0, 3 * n, batch);
  return t;
}

}  // namespace berth::model
