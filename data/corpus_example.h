// One tokenized example as stored in a corpus and handed to collate().
#pragma once

#include <cstdint>
#include <vector>

namespace berth::data {

struct Example {
  std::vector<int32_t> input_ids;      // with [CLS]/[SEP]
  std::vector<int8_t> token_type_ids;  // empty unless the corpus holds text pairs
  int32_t label = -1;                  // index into the corpus's label_names; -1 when unlabeled
                                       // or multi-label
  std::vector<int32_t> label_set;      // multi-label corpora: indices into label_names, ascending
  int64_t source_row = 0;              // 1-based record number in the source file
};

}  // namespace berth::data
