#include "data/prep_labels.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "data/prep.h"

namespace berth::data {

namespace {
bool parse_int(const std::string& s, long long& v) {
  if (s.empty()) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return false;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
  }
  errno = 0;
  v = std::strtoll(s.c_str(), nullptr, 10);
  return errno == 0;
}
}  // namespace

std::vector<std::string> sort_label_names(std::vector<std::string> names) {
  std::vector<long long> values(names.size());
  bool numeric = true;
  for (size_t i = 0; i < names.size() && numeric; ++i) numeric = parse_int(names[i], values[i]);
  if (!numeric) {
    // std::string compares as unsigned bytes, which for UTF-8 is code point order (as Python).
    std::sort(names.begin(), names.end());
    return names;
  }
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return values[a] != values[b] ? values[a] < values[b] : names[a] < names[b];
  });
  std::vector<std::string> out;
  for (size_t i : order) out.push_back(names[i]);
  return out;
}

PrepLabels::PrepLabels(std::vector<std::string> fixed, std::string fixed_from, bool multi_label)
    : fixed_(true),
      multi_label_(multi_label),
      fixed_from_(std::move(fixed_from)),
      names_(std::move(fixed)) {
  for (size_t i = 0; i < names_.size(); ++i) ids_.emplace(names_[i], static_cast<int32_t>(i));
  counts_.assign(names_.size(), 0);
}

int32_t PrepLabels::id(const std::string& label, const std::string& where, int64_t record) {
  auto it = ids_.find(label);
  if (it != ids_.end()) {
    ++counts_[it->second];
    return it->second;
  }
  if (fixed_) {
    std::string known;
    for (size_t i = 0; i < names_.size() && i < 20; ++i)
      known += (i ? ", '" : "'") + names_[i] + "'";
    if (names_.size() > 20) known += ", ...";
    throw data_error("prep",
                     where + ": label '" + label + "' of record " + std::to_string(record) +
                         " is not one of the labels of " + fixed_from_ + " (" + known + ")",
                     "fix the label, or prep the training set with this label present so that "
                     "both corpora share one label map");
  }
  auto id = static_cast<int32_t>(names_.size());
  names_.push_back(label);
  ids_.emplace(label, id);
  counts_.push_back(1);
  return id;
}

std::vector<std::string> PrepLabels::names() const {
  return fixed_ ? names_ : sort_label_names(names_);
}

std::vector<int32_t> PrepLabels::remap() const {
  std::vector<std::string> sorted = names();
  std::vector<int32_t> map(names_.size());
  for (size_t i = 0; i < sorted.size(); ++i) map[ids_.at(sorted[i])] = static_cast<int32_t>(i);
  return map;
}

std::vector<std::pair<std::string, int64_t>> PrepLabels::counts() const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& name : names()) out.emplace_back(name, counts_[ids_.at(name)]);
  return out;
}

}  // namespace berth::data
