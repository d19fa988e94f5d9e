#include "trainer/evaluator.h"

#include <c10/core/GradMode.h>

#include <cmath>
#include <optional>

#include "common/log.h"
#include "common/progress_meter.h"
#include "model/autocast_guard.h"
#include "model/batch_tensors.h"
#include "model/eval_accumulator.h"

namespace berth::trainer {

double EvalResult::metric(Metric which) const {
  switch (which) {
    case Metric::kLoss:
      return loss;
    case Metric::kMacroF1:
      return report.macro_f1;
    case Metric::kMicroF1:
      return report.micro_f1_or_accuracy();
    case Metric::kAccuracy:
      break;
  }
  return report.accuracy;
}

bool is_better(Metric metric, double candidate, std::optional<double> best) {
  if (std::isnan(candidate)) return false;
  if (!best || std::isnan(*best)) return true;
  return metric == Metric::kLoss ? candidate < *best : candidate > *best;
}

EvalResult evaluate(model::SequenceClassifier& model, const data::Corpus& corpus,
                    int64_t batch_size, int32_t pad_id, const at::Device& device,
                    std::optional<at::ScalarType> autocast_dtype, distributed::Communicator& comm,
                    const EvalOptions& options) {
  c10::NoGradGuard no_grad;
  bool was_training = model.is_training();
  model.eval();
  const int64_t n = corpus.size(), world = comm.world_size(), rank = comm.rank();
  const int64_t begin = n * rank / world, end = n * (rank + 1) / world;

  const bool multi = options.problem == ProblemType::kMultiLabel;
  const auto label_count = multi ? static_cast<int64_t>(corpus.label_names().size()) : 0;
  model::EvalAccumulator acc(corpus.label_names(), options.problem, options.thresholds,
                             multi && options.tune_thresholds);
  // Rank 0's slice stands for the whole: an evaluation of a large test set takes minutes and
  // was silent (after 3 s: the live line on a terminal, else a log line every 30 s).
  std::optional<log::ProgressMeter> meter;
  if (rank == 0) meter.emplace(log::get("eval"), "eval", "examples");
  for (int64_t start = begin; start < end; start += batch_size) {
    if (meter) {
      const double f = static_cast<double>(start - begin) / static_cast<double>(end - begin);
      meter->update(static_cast<int64_t>(f * static_cast<double>(n)), f);
    }
    std::vector<int64_t> idx;
    for (int64_t i = start; i < std::min(end, start + batch_size); ++i) idx.push_back(i);
    auto batch = data::collate(corpus.read(idx), pad_id, 1, label_count);
    auto t = model::to_tensors(batch, device);
    at::Tensor logits;
    {
      model::AutocastGuard ac(device.type(), autocast_dtype);
      logits = model.forward(t.input_ids, t.attention_mask, t.token_type_ids).logits;
    }
    acc.add(logits, t.labels);  // (batch, labels), (batch) or (batch, labels)
  }
  // Sum loss and counts over ranks: each example was scored by exactly one rank.
  if (world > 1) {
    auto sums = at::tensor(acc.sums(), at::kDouble);
    comm.all_reduce_sum(sums)->wait();
    acc.load_sums(
        std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel()));
  }
  if (multi && options.tune_thresholds) {
    acc.tune_thresholds();  // from every rank's histograms, then this rank's examples again
    if (world > 1) {
      auto sums = at::tensor(acc.decision_sums(), at::kDouble);
      comm.all_reduce_sum(sums)->wait();
      acc.load_decision_sums(
          std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel()));
    }
  }
  if (was_training) model.train();
  EvalResult r;
  r.report = acc.report();
  r.loss = acc.mean_loss();
  return r;
}

}  // namespace berth::trainer
