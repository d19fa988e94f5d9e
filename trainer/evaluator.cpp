#include "trainer/evaluator.h"

#include <c10/core/GradMode.h>

#include <cmath>
#include <optional>

#include "common/log.h"
#include "common/progress_meter.h"
#include "model/autocast_guard.h"
#include "trainer/batch_tensors.h"

namespace berth::trainer {

double EvalResult::metric(Metric which) const {
  switch (which) {
    case Metric::kLoss:
      return loss;
    case Metric::kMacroF1:
      return report.macro_f1;
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

EvalResult evaluate(model::BertClassifier& model, const data::Corpus& corpus, int64_t batch_size,
                    int32_t pad_id, const at::Device& device,
                    std::optional<at::ScalarType> autocast_dtype, dist::Communicator& comm) {
  c10::NoGradGuard no_grad;
  bool was_training = model.is_training();
  model.eval();
  const int64_t n = corpus.size(), world = comm.world_size(), rank = comm.rank();
  const int64_t begin = n * rank / world, end = n * (rank + 1) / world;

  model::ConfusionMatrix cm(corpus.label_names());
  double loss_sum = 0;
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
    auto batch = data::collate(corpus.read(idx), pad_id);
    auto t = to_tensors(batch, device);
    at::Tensor logits;
    {
      model::AutocastGuard ac(device.type(), autocast_dtype);
      logits = model.forward(t.input_ids, t.attention_mask, t.token_type_ids).logits;
    }
    logits = logits.to(at::kFloat);  // (batch, labels)
    loss_sum += at::cross_entropy_loss(logits, t.labels, {}, at::Reduction::Sum).item<double>();
    auto pred = logits.argmax(1).cpu().contiguous();
    std::vector<int64_t> p(pred.data_ptr<int64_t>(), pred.data_ptr<int64_t>() + pred.numel());
    cm.add(p, batch.labels);
  }
  // Sum counts and loss over ranks: each example was scored by exactly one rank.
  auto counts = at::tensor(cm.raw_counts(), at::kLong).to(at::kDouble);
  auto loss_t = at::tensor({loss_sum}, at::kDouble);
  if (world > 1) {
    comm.all_reduce_sum(counts)->wait();
    comm.all_reduce_sum(loss_t)->wait();
    auto c = counts.to(at::kLong).contiguous();
    std::copy(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel(), cm.raw_counts().begin());
  }
  if (was_training) model.train();
  EvalResult r;
  r.report = cm.report();
  r.loss = r.report.total > 0 ? loss_t.item<double>() / r.report.total : NAN;
  return r;
}

}  // namespace berth::trainer
