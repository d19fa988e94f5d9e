// The label map prep builds while streaming: either open (ids handed out in first-seen order,
// sorted and remapped at the end, see sort_label_names) or fixed (taken from another corpus with
// --labels-from, where an unseen label is an error).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace berth::data {

class PrepLabels {
 public:
  PrepLabels() = default;  // open
  PrepLabels(std::vector<std::string> fixed, std::string fixed_from, bool multi_label = false);

  // The id for `label` (provisional in open mode) and counts it. In fixed mode an unknown label
  // is a berth::data_error naming it, `where` (file:line) and the record.
  int32_t id(const std::string& label, const std::string& where, int64_t record);

  // Final names in label order, and (open mode only) provisional id -> final id.
  std::vector<std::string> names() const;
  std::vector<int32_t> remap() const;
  bool fixed() const { return fixed_; }
  bool multi_label() const { return multi_label_; }  // fixed from a multi-label corpus
  // Count per final label, in label order.
  std::vector<std::pair<std::string, int64_t>> counts() const;

 private:
  bool fixed_ = false;
  bool multi_label_ = false;
  std::string fixed_from_;
  std::vector<std::string> names_;  // by (provisional) id
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<int64_t> counts_;  // by (provisional) id
};

}  // namespace berth::data
