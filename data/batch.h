// Collation: examples -> one padded batch as flat row-major int64 arrays, ready for
// torch::from_blob in the trainer (this module stays torch-free). Padding is dynamic: to the
// longest example of the batch (optionally rounded up to a multiple, e.g. 8 for tensor cores),
// not to max_length, which saves most of the compute on short-text sets.
#pragma once

#include <cstdint>
#include <vector>

#include "data/corpus_example.h"

namespace berth::data {

struct Batch {
  int64_t batch_size = 0;
  int64_t seq_len = 0;
  std::vector<int64_t> input_ids;       // batch_size * seq_len, pad_id after each example
  std::vector<int64_t> attention_mask;  // 1 for real tokens, 0 for padding
  std::vector<int64_t> token_type_ids;  // the example's types (0 when it has none), 0 padding
  // batch_size class ids (-1 for unlabeled examples), or for multi-label (label_count > 0)
  // batch_size * label_count 0/1 entries: row r is example r's multi-hot label set.
  std::vector<int64_t> labels;
  int64_t label_count = 0;
  std::vector<int64_t> source_rows;  // batch_size; for error messages and predictions
};

// `pad_to_multiple` >= 1 rounds seq_len up to a multiple of it. `label_count` > 0 collates the
// examples' label sets as multi-hot rows (multi-label). An empty input gives an empty batch
// (batch_size 0, seq_len 0).
Batch collate(const std::vector<Example>& examples, int32_t pad_id, int pad_to_multiple = 1,
              int64_t label_count = 0);
// The same over examples held elsewhere (the predictor batches a length-sorted view of a window).
Batch collate_view(const std::vector<const Example*>& examples, int32_t pad_id,
                   int pad_to_multiple = 1, int64_t label_count = 0);

}  // namespace berth::data
