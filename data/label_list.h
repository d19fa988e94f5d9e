// A multi-label value -> its label names. Two spellings: a JSON array (a JSONL input hands an
// array value over as its JSON text, e.g. ["bug", "ui"]) or a list joined by a separator in a
// CSV/TSV column ("bug|ui"). Shared by `berth prep` and `berth eval` so that both read a label
// cell the same way.
#pragma once

#include <string>
#include <vector>

namespace berth::data {

struct LabelListFormat {
  std::string separator = "|";  // between the labels of a CSV/TSV cell
  bool json_arrays = false;     // the source is JSONL: a value that is a JSON array is a list
};

// Names trimmed of surrounding ASCII white space, empty ones dropped, duplicates removed, in
// first-seen order. An empty result is an empty set (a JSONL `[]`, or a cell of separators).
// A malformed array, or one holding something other than strings and numbers, is a
// berth::data_error naming `where` (file:line).
std::vector<std::string> split_label_list(const std::string& value, const LabelListFormat& format,
                                          const std::string& where);

}  // namespace berth::data
