// Evaluation of a classifier on a corpus: loss, accuracy, macro-F1 (micro-F1 and subset accuracy
// for multi-label) and the full report, streamed through model/eval_accumulator.h (a confusion
// matrix or per-label counts, never all logits). With several ranks each rank scores a disjoint,
// contiguous slice and the counts are summed, so every example counts exactly once.
#pragma once

#include <optional>

#include "common/choices.h"
#include "data/corpus.h"
#include "distributed/communicator.h"
#include "model/classification_metrics.h"
#include "model/sequence_classifier.h"

namespace berth::trainer {

struct EvalResult {
  double loss = 0;  // mean cross-entropy, or mean binary cross-entropy (multi-label); unweighted
  model::ClassificationReport report;  // multi-label: report.thresholds are those used
  double metric(Metric which) const;
};

struct EvalOptions {
  ProblemType problem = ProblemType::kSingleLabel;
  std::vector<double> thresholds;  // multi-label decision thresholds (empty: 0.5 each)
  // Multi-label: choose each label's threshold on this set (over all ranks) and report the
  // metrics at those thresholds (report.thresholds).
  bool tune_thresholds = false;
};

EvalResult evaluate(model::SequenceClassifier& model, const data::Corpus& corpus,
                    int64_t batch_size, int32_t pad_id, const at::Device& device,
                    std::optional<at::ScalarType> autocast_dtype, distributed::Communicator& comm,
                    const EvalOptions& options = {});

// Higher is better for accuracy/macro_f1, lower for loss; NaN is never better.
bool is_better(Metric metric, double candidate, std::optional<double> best);

}  // namespace berth::trainer
