#include "model/classification_metrics.h"

#include <algorithm>

#include "common/error.h"

namespace berth::model {

ConfusionMatrix::ConfusionMatrix(std::vector<std::string> label_names)
    : names_(std::move(label_names)), counts_(names_.size() * names_.size(), 0) {
  if (names_.empty()) throw usage_error("model", "a confusion matrix needs at least one class");
}

void ConfusionMatrix::check(int64_t id, const char* what) const {
  if (id < 0 || id >= num_classes())
    throw data_error("model", std::string(what) + " " + std::to_string(id) +
                                  " is not a class id (0.." + std::to_string(num_classes() - 1) +
                                  ")");
}

void ConfusionMatrix::add(int64_t prediction, int64_t label) {
  check(prediction, "prediction");
  check(label, "label");
  ++counts_[label * num_classes() + prediction];
}

void ConfusionMatrix::add(const std::vector<int64_t>& predictions,
                          const std::vector<int64_t>& labels) {
  if (predictions.size() != labels.size())
    throw data_error("model", std::to_string(predictions.size()) + " predictions for " +
                                  std::to_string(labels.size()) + " labels");
  // Validate first so a bad batch leaves the matrix as it was.
  for (size_t i = 0; i < labels.size(); ++i) {
    check(predictions[i], "prediction");
    check(labels[i], "label");
  }
  for (size_t i = 0; i < labels.size(); ++i) ++counts_[labels[i] * num_classes() + predictions[i]];
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  if (other.names_ != names_)
    throw usage_error("model", "cannot merge confusion matrices over different label sets");
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

void ConfusionMatrix::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
}

int64_t ConfusionMatrix::total() const {
  int64_t t = 0;
  for (int64_t c : counts_) t += c;
  return t;
}

ClassificationReport ConfusionMatrix::report() const {
  const int64_t n = num_classes();
  ClassificationReport r;
  r.total = total();
  r.confusion.assign(n, std::vector<int64_t>(n, 0));
  int64_t correct = 0;
  double f1_sum = 0;
  int64_t present = 0;
  for (int64_t c = 0; c < n; ++c) {
    ClassMetrics m;
    m.name = names_[c];
    for (int64_t k = 0; k < n; ++k) {
      r.confusion[c][k] = count(c, k);
      m.support += count(c, k);
      m.predicted += count(k, c);
    }
    const int64_t tp = count(c, c);
    correct += tp;
    m.precision = m.predicted ? static_cast<double>(tp) / m.predicted : 0.0;
    m.recall = m.support ? static_cast<double>(tp) / m.support : 0.0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    if (m.support > 0 || m.predicted > 0) {
      f1_sum += m.f1;
      ++present;
    }
    r.per_class.push_back(std::move(m));
  }
  r.accuracy = r.total ? static_cast<double>(correct) / r.total : 0.0;
  r.macro_f1 = present ? f1_sum / present : 0.0;
  return r;
}

nlohmann::json ClassificationReport::to_json() const {
  nlohmann::json j;
  if (multi_label) {
    j["problem_type"] = "multi_label_classification";
    j["total"] = total;
    j["subset_accuracy"] = accuracy;
    j["accuracy"] = accuracy;
    j["micro_f1"] = micro_f1;
    j["micro_precision"] = micro_precision;
    j["micro_recall"] = micro_recall;
    j["macro_f1"] = macro_f1;
    nlohmann::json labels = nlohmann::json::array(), per = nlohmann::json::object();
    for (size_t c = 0; c < per_class.size(); ++c) {
      const auto& m = per_class[c];
      labels.push_back(m.name);
      per[m.name] = {{"precision", m.precision},
                     {"recall", m.recall},
                     {"f1", m.f1},
                     {"support", m.support},
                     {"predicted", m.predicted}};
      if (c < thresholds.size()) per[m.name]["threshold"] = thresholds[c];
    }
    j["labels"] = labels;
    j["per_class"] = per;
    return j;
  }
  j["total"] = total;
  j["accuracy"] = accuracy;
  j["macro_f1"] = macro_f1;
  nlohmann::json labels = nlohmann::json::array();
  nlohmann::json per = nlohmann::json::object();
  for (const auto& m : per_class) {
    labels.push_back(m.name);
    per[m.name] = {{"precision", m.precision},
                   {"recall", m.recall},
                   {"f1", m.f1},
                   {"support", m.support},
                   {"predicted", m.predicted}};
  }
  j["labels"] = labels;
  j["per_class"] = per;
  j["confusion_matrix"] = confusion;
  return j;
}

}  // namespace berth::model
