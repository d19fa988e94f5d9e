#include "model/eval_accumulator.h"

#include <ATen/ATen.h>

#include <cmath>

#include "common/error.h"

namespace berth::model {

EvalAccumulator::EvalAccumulator(std::vector<std::string> label_names, ProblemType problem,
                                 std::vector<double> thresholds, bool keep_for_tuning)
    : problem_(problem), k_(static_cast<int64_t>(label_names.size())) {
  if (problem_ == ProblemType::kSingleLabel) {
    cm_ = std::make_unique<ConfusionMatrix>(std::move(label_names));
  } else {
    ml_ = std::make_unique<MultiLabelMetrics>(std::move(label_names), std::move(thresholds));
    keep_ = keep_for_tuning;
  }
}

void EvalAccumulator::add_single(const double* logits, int64_t n, const int64_t* labels) {
  const int64_t k = k_;
  std::vector<int64_t> predictions(static_cast<size_t>(n)), truth(labels, labels + n);
  double loss = 0;
  for (int64_t r = 0; r < n; ++r) {
    const double* row = logits + r * k;
    int64_t best = 0;
    for (int64_t c = 1; c < k; ++c)  // NaN counts as the maximum, as in torch.argmax
      if (row[c] > row[best] || (std::isnan(row[c]) && !std::isnan(row[best]))) best = c;
    predictions[static_cast<size_t>(r)] = best;
    double mx = row[0];
    for (int64_t c = 1; c < k; ++c) mx = std::max(mx, row[c]);
    double sum = 0;
    for (int64_t c = 0; c < k; ++c) sum += std::exp(row[c] - mx);
    const int64_t label = labels[r];
    if (label >= 0 && label < k) loss += mx + std::log(sum) - row[label];
  }
  cm_->add(predictions, truth);  // validates the labels first
  loss_sum_ += loss;
}

void EvalAccumulator::add_multi(const double* logits, int64_t n, const int64_t* targets) {
  const int64_t k = k_;
  std::vector<double> probs(static_cast<size_t>(k));
  for (int64_t r = 0; r < n; ++r) {
    const double* x = logits + r * k;
    const int64_t* y = targets + r * k;
    double loss = 0;
    for (int64_t c = 0; c < k; ++c) {
      if (y[c] != 0 && y[c] != 1)
        throw data_error("model", "multi-label target " + std::to_string(y[c]) + " is not 0 or 1");
      // log(1 + e^-|x|) + max(x, 0) - x*y: BCE with logits, stable for large |x|.
      loss += std::log1p(std::exp(-std::abs(x[c]))) + std::max(x[c], 0.0) - x[c] * double(y[c]);
      probs[c] = 1.0 / (1.0 + std::exp(-x[c]));
    }
    loss_sum_ += loss / double(k);
    ml_->add(probs.data(), y);
    if (keep_) {
      kept_probs_.insert(kept_probs_.end(), probs.begin(), probs.end());
      kept_truth_.insert(kept_truth_.end(), y, y + k);
    }
  }
}

void EvalAccumulator::add(const at::Tensor& logits, const at::Tensor& labels) {
  const bool multi = problem_ == ProblemType::kMultiLabel;
  const bool shapes_ok = logits.dim() == 2 && logits.size(1) == k_ &&
                         labels.dim() == (multi ? 2 : 1) && labels.size(0) == logits.size(0) &&
                         (!multi || labels.size(1) == k_);
  if (!shapes_ok)
    throw usage_error("model", "evaluation: logits " + std::to_string(logits.dim()) +
                                   "-d for labels " + std::to_string(labels.dim()) +
                                   "-d; expected (batch, " + std::to_string(k_) + ") and " +
                                   (multi ? "(batch, labels)" : "(batch)"));
  const at::Tensor l = logits.detach().to(at::kCPU, at::kDouble).contiguous();  // (batch, labels)
  const at::Tensor y = labels.to(at::kCPU, at::kLong).contiguous();  // (batch) or (batch, labels)
  if (multi)
    add_multi(l.data_ptr<double>(), l.size(0), y.data_ptr<int64_t>());
  else
    add_single(l.data_ptr<double>(), l.size(0), y.data_ptr<int64_t>());
}

void EvalAccumulator::add(const std::vector<float>& logits, const std::vector<int64_t>& label_ids) {
  if (static_cast<int64_t>(logits.size()) != k_)
    throw usage_error("model", "evaluation: " + std::to_string(logits.size()) +
                                   " logits for a model with " + std::to_string(k_) + " labels");
  std::vector<double> row(logits.begin(), logits.end());
  if (problem_ == ProblemType::kSingleLabel) {
    if (label_ids.size() != 1)
      throw data_error("model", "evaluation: a single-label example with " +
                                    std::to_string(label_ids.size()) + " labels");
    add_single(row.data(), 1, label_ids.data());
    return;
  }
  std::vector<int64_t> hot(static_cast<size_t>(k_), 0);
  for (int64_t id : label_ids) {
    if (id < 0 || id >= k_)
      throw data_error("model", "label id " + std::to_string(id) + " is not one of the " +
                                    std::to_string(k_) + " labels");
    hot[static_cast<size_t>(id)] = 1;
  }
  add_multi(row.data(), 1, hot.data());
}

int64_t EvalAccumulator::total() const {
  return cm_ ? cm_->total() : ml_->total();
}

double EvalAccumulator::mean_loss() const {
  const int64_t n = total();
  return n > 0 ? loss_sum_ / static_cast<double>(n) : NAN;
}

ClassificationReport EvalAccumulator::report() const {
  return cm_ ? cm_->report() : ml_->report();
}

std::vector<double> EvalAccumulator::sums() const {
  std::vector<double> out{loss_sum_};
  if (cm_) {
    for (int64_t c : cm_->raw_counts()) out.push_back(static_cast<double>(c));
  } else {
    auto s = ml_->sums();
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

void EvalAccumulator::load_sums(const std::vector<double>& sums) {
  if (sums.empty()) throw usage_error("model", "evaluation: no sums to load");
  loss_sum_ = sums[0];
  if (ml_) {
    ml_->load_sums(std::vector<double>(sums.begin() + 1, sums.end()));
    return;
  }
  auto& counts = cm_->raw_counts();
  if (sums.size() != counts.size() + 1)
    throw usage_error("model", "evaluation: " + std::to_string(sums.size()) +
                                   " sums to load, expected " + std::to_string(counts.size() + 1));
  for (size_t i = 0; i < counts.size(); ++i) counts[i] = std::llround(sums[i + 1]);
}

std::vector<double> EvalAccumulator::tune_thresholds() {
  if (!ml_ || !keep_)
    throw usage_error("model", "thresholds are tuned on a multi-label evaluation that keeps them");
  auto t = ml_->tuned_thresholds();
  ml_->set_thresholds(t);
  ml_->reset_decisions();
  const size_t k = static_cast<size_t>(k_);
  for (size_t i = 0; i + k <= kept_probs_.size(); i += k)
    ml_->add(&kept_probs_[i], &kept_truth_[i], /*histogram=*/false);
  return t;
}

std::vector<double> EvalAccumulator::decision_sums() const {
  return ml_ ? ml_->decision_sums() : std::vector<double>{};
}

void EvalAccumulator::load_decision_sums(const std::vector<double>& sums) {
  if (ml_) ml_->load_decision_sums(sums);
}

}  // namespace berth::model
