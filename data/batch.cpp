#include "data/batch.h"

#include <algorithm>
#include <stdexcept>

namespace berth::data {

Batch collate(const std::vector<Example>& examples, int32_t pad_id, int pad_to_multiple,
              int64_t label_count) {
  std::vector<const Example*> view;
  view.reserve(examples.size());
  for (const auto& e : examples) view.push_back(&e);
  return collate_view(view, pad_id, pad_to_multiple, label_count);
}

Batch collate_view(const std::vector<const Example*>& examples, int32_t pad_id, int pad_to_multiple,
                   int64_t label_count) {
  if (pad_to_multiple < 1) throw std::invalid_argument("collate: pad_to_multiple must be >= 1");
  Batch b;
  b.batch_size = static_cast<int64_t>(examples.size());
  size_t longest = 0;
  for (const Example* e : examples) longest = std::max(longest, e->input_ids.size());
  int64_t len = static_cast<int64_t>(longest);
  if (len % pad_to_multiple != 0) len += pad_to_multiple - len % pad_to_multiple;
  b.seq_len = len;
  size_t total = static_cast<size_t>(b.batch_size * len);
  b.input_ids.assign(total, pad_id);
  b.attention_mask.assign(total, 0);
  b.token_type_ids.assign(total, 0);
  b.label_count = label_count;
  b.labels.assign(examples.size() * static_cast<size_t>(label_count > 0 ? label_count : 1),
                  label_count > 0 ? 0 : -1);
  b.source_rows.resize(examples.size());
  for (size_t r = 0; r < examples.size(); ++r) {
    const Example& e = *examples[r];
    if (!e.token_type_ids.empty() && e.token_type_ids.size() != e.input_ids.size()) {
      throw std::invalid_argument(
          "collate: an example's token_type_ids and input_ids differ in length");
    }
    size_t base = r * static_cast<size_t>(len);
    std::copy(e.input_ids.begin(), e.input_ids.end(), b.input_ids.begin() + base);
    std::fill_n(b.attention_mask.begin() + base, e.input_ids.size(), 1);
    std::copy(e.token_type_ids.begin(), e.token_type_ids.end(), b.token_type_ids.begin() + base);
    if (label_count == 0) {
      b.labels[r] = e.label;
    } else {
      for (int32_t id : e.label_set) {
        if (id < 0 || id >= label_count)
          throw std::invalid_argument("collate: a label set id is out of range");
        b.labels[r * static_cast<size_t>(label_count) + static_cast<size_t>(id)] = 1;
      }
    }
    b.source_rows[r] = e.source_row;
  }
  return b;
}

}  // namespace berth::data
