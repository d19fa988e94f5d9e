#include "model/eval_accumulator.h"

#include <ATen/ATen.h>

#include <cmath>

#include "common/error.h"

namespace berth::model {

EvalAccumulator::EvalAccumulator(std::vector<std::string> label_names)
    : cm_(std::move(label_names)) {}

void EvalAccumulator::add_rows(const double* logits, int64_t n, const int64_t* labels) {
  const int64_t k = cm_.num_classes();
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
  cm_.add(predictions, truth);  // validates the labels first
  loss_sum_ += loss;
}

void EvalAccumulator::add(const at::Tensor& logits, const at::Tensor& labels) {
  if (logits.dim() != 2 || logits.size(1) != cm_.num_classes() || labels.dim() != 1 ||
      labels.size(0) != logits.size(0))
    throw usage_error("model", "evaluation: logits " + std::to_string(logits.dim()) +
                                   "-d for labels " + std::to_string(labels.dim()) +
                                   "-d; expected (batch, " + std::to_string(cm_.num_classes()) +
                                   ") and (batch)");
  const at::Tensor l = logits.detach().to(at::kCPU, at::kDouble).contiguous();  // (batch, labels)
  const at::Tensor y = labels.to(at::kCPU, at::kLong).contiguous();             // (batch)
  add_rows(l.data_ptr<double>(), l.size(0), y.data_ptr<int64_t>());
}

void EvalAccumulator::add(const std::vector<float>& logits, int64_t label) {
  if (static_cast<int64_t>(logits.size()) != cm_.num_classes())
    throw usage_error("model", "evaluation: " + std::to_string(logits.size()) +
                                   " logits for a model with " + std::to_string(cm_.num_classes()) +
                                   " labels");
  std::vector<double> row(logits.begin(), logits.end());
  add_rows(row.data(), 1, &label);
}

double EvalAccumulator::mean_loss() const {
  const int64_t n = total();
  return n > 0 ? loss_sum_ / static_cast<double>(n) : NAN;
}

std::vector<double> EvalAccumulator::sums() const {
  std::vector<double> out{loss_sum_};
  for (int64_t c : cm_.raw_counts()) out.push_back(static_cast<double>(c));
  return out;
}

void EvalAccumulator::load_sums(const std::vector<double>& sums) {
  auto& counts = cm_.raw_counts();
  if (sums.size() != counts.size() + 1)
    throw usage_error("model", "evaluation: " + std::to_string(sums.size()) +
                                   " sums to load, expected " + std::to_string(counts.size() + 1));
  loss_sum_ = sums[0];
  for (size_t i = 0; i < counts.size(); ++i) counts[i] = std::llround(sums[i + 1]);
}

}  // namespace berth::model
