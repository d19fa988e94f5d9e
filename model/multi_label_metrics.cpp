#include "model/multi_label_metrics.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace berth::model {

namespace {
// The largest j in [0, 99] with p >= j/100: the grid thresholds the probability reaches.
int bin_of(double p) {
  int j = std::isfinite(p) ? static_cast<int>(std::floor(p * kThresholdBins)) : 0;
  j = std::clamp(j, 0, kThresholdBins - 1);
  while (j + 1 < kThresholdBins && over_threshold(p, (j + 1) / double(kThresholdBins))) ++j;
  while (j > 0 && !over_threshold(p, j / double(kThresholdBins))) --j;
  return j;
}

double f1_of(int64_t tp, int64_t fp, int64_t fn) {
  const double p = tp + fp ? double(tp) / double(tp + fp) : 0.0;
  const double r = tp + fn ? double(tp) / double(tp + fn) : 0.0;
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}
}  // namespace

MultiLabelMetrics::MultiLabelMetrics(std::vector<std::string> label_names,
                                     std::vector<double> thresholds)
    : names_(std::move(label_names)) {
  if (names_.empty()) throw usage_error("model", "multi-label metrics need at least one label");
  const size_t k = names_.size();
  tp_.assign(k, 0), fp_.assign(k, 0), fn_.assign(k, 0);
  pos_hist_.assign(k * kThresholdBins, 0), neg_hist_.assign(k * kThresholdBins, 0);
  set_thresholds(std::move(thresholds));
}

void MultiLabelMetrics::set_thresholds(std::vector<double> thresholds) {
  if (thresholds.empty()) thresholds.assign(names_.size(), kDefaultThreshold);
  if (thresholds.size() != names_.size())
    throw usage_error("model", std::to_string(thresholds.size()) + " thresholds for " +
                                   std::to_string(names_.size()) + " labels");
  for (double t : thresholds)
    if (!(t > 0 && t < 1))
      throw usage_error("model", "threshold " + std::to_string(t) + " is not in (0, 1)");
  thresholds_ = std::move(thresholds);
}

void MultiLabelMetrics::add(const double* probabilities, const int64_t* truth, bool histogram) {
  const int64_t k = num_labels();
  bool exact = true;
  for (int64_t c = 0; c < k; ++c) {
    const bool yes = truth[c] != 0, predicted = over_threshold(probabilities[c], thresholds_[c]);
    tp_[c] += yes && predicted;
    fp_[c] += !yes && predicted;
    fn_[c] += yes && !predicted;
    exact = exact && yes == predicted;
    if (histogram)
      (yes ? pos_hist_ : neg_hist_)[c * kThresholdBins + bin_of(probabilities[c])] += 1;
  }
  total_ += 1;
  subset_correct_ += exact;
}

void MultiLabelMetrics::reset_decisions() {
  total_ = subset_correct_ = 0;
  std::fill(tp_.begin(), tp_.end(), 0);
  std::fill(fp_.begin(), fp_.end(), 0);
  std::fill(fn_.begin(), fn_.end(), 0);
}

std::vector<double> MultiLabelMetrics::tuned_thresholds() const {
  const int64_t k = num_labels();
  std::vector<double> out(k, kDefaultThreshold);
  for (int64_t c = 0; c < k; ++c) {
    const int64_t* pos = &pos_hist_[c * kThresholdBins];
    const int64_t* neg = &neg_hist_[c * kThresholdBins];
    int64_t positives = 0;
    for (int b = 0; b < kThresholdBins; ++b) positives += pos[b];
    // tp/fp at threshold j/100: the examples in bins j..99.
    std::vector<int64_t> tp(kThresholdBins + 1, 0), fp(kThresholdBins + 1, 0);
    for (int b = kThresholdBins - 1; b >= 0; --b)
      tp[b] = tp[b + 1] + pos[b], fp[b] = fp[b + 1] + neg[b];
    int best = kThresholdBins / 2;
    double best_f1 = f1_of(tp[best], fp[best], positives - tp[best]);
    for (int d = 1; d < kThresholdBins / 2; ++d)  // outwards from 0.5: ties keep the nearer one
      for (int j : {kThresholdBins / 2 - d, kThresholdBins / 2 + d}) {
        const double f1 = f1_of(tp[j], fp[j], positives - tp[j]);
        if (f1 > best_f1) best = j, best_f1 = f1;
      }
    out[c] = best / double(kThresholdBins);
  }
  return out;
}

ClassificationReport MultiLabelMetrics::report() const {
  ClassificationReport r;
  r.multi_label = true;
  r.total = total_;
  r.accuracy = total_ ? double(subset_correct_) / double(total_) : 0.0;
  r.thresholds = thresholds_;
  int64_t tp = 0, fp = 0, fn = 0, present = 0;
  double f1_sum = 0;
  for (int64_t c = 0; c < num_labels(); ++c) {
    ClassMetrics m;
    m.name = names_[c];
    m.support = tp_[c] + fn_[c];
    m.predicted = tp_[c] + fp_[c];
    m.precision = m.predicted ? double(tp_[c]) / double(m.predicted) : 0.0;
    m.recall = m.support ? double(tp_[c]) / double(m.support) : 0.0;
    m.f1 = f1_of(tp_[c], fp_[c], fn_[c]);
    if (m.support > 0 || m.predicted > 0) f1_sum += m.f1, ++present;
    tp += tp_[c], fp += fp_[c], fn += fn_[c];
    r.per_class.push_back(std::move(m));
  }
  r.macro_f1 = present ? f1_sum / double(present) : 0.0;
  r.micro_precision = tp + fp ? double(tp) / double(tp + fp) : 0.0;
  r.micro_recall = tp + fn ? double(tp) / double(tp + fn) : 0.0;
  r.micro_f1 = f1_of(tp, fp, fn);
  return r;
}

std::vector<double> MultiLabelMetrics::decision_sums() const {
  std::vector<double> out{double(total_), double(subset_correct_)};
  for (auto* v : {&tp_, &fp_, &fn_})
    for (int64_t x : *v) out.push_back(double(x));
  return out;
}

void MultiLabelMetrics::load_decision_sums(const std::vector<double>& s) {
  const size_t k = names_.size();
  if (s.size() != 2 + 3 * k)
    throw usage_error("model", "multi-label metrics: " + std::to_string(s.size()) +
                                   " decision sums to load, expected " + std::to_string(2 + 3 * k));
  total_ = std::llround(s[0]), subset_correct_ = std::llround(s[1]);
  size_t i = 2;
  for (auto* v : {&tp_, &fp_, &fn_})
    for (auto& x : *v) x = std::llround(s[i++]);
}

std::vector<double> MultiLabelMetrics::sums() const {
  std::vector<double> out = decision_sums();
  for (auto* v : {&pos_hist_, &neg_hist_})
    for (int64_t x : *v) out.push_back(double(x));
  return out;
}

void MultiLabelMetrics::load_sums(const std::vector<double>& s) {
  const size_t k = names_.size(), decisions = 2 + 3 * k;
  if (s.size() != decisions + 2 * k * kThresholdBins)
    throw usage_error("model", "multi-label metrics: " + std::to_string(s.size()) +
                                   " sums to load, expected " +
                                   std::to_string(decisions + 2 * k * kThresholdBins));
  load_decision_sums(std::vector<double>(s.begin(), s.begin() + decisions));
  size_t i = decisions;
  for (auto* v : {&pos_hist_, &neg_hist_})
    for (auto& x : *v) x = std::llround(s[i++]);
}

}  // namespace berth::model
