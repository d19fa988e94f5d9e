// Evaluation of a classifier on a corpus: loss, accuracy, macro-F1 and the full report, streamed
// (a confusion matrix, never all logits). With several ranks each rank scores a disjoint,
// contiguous slice and the counts are summed, so every example counts exactly once.
#pragma once

#include <optional>

#include "common/choices.h"
#include "data/corpus.h"
#include "dist/communicator.h"
#include "model/bert_model.h"
#include "model/classification_metrics.h"

namespace berth::trainer {

struct EvalResult {
  double loss = 0;  // mean cross-entropy (unweighted)
  model::ClassificationReport report;
  double metric(Metric which) const;
};

EvalResult evaluate(model::BertClassifier& model, const data::Corpus& corpus, int64_t batch_size,
                    int32_t pad_id, const at::Device& device,
                    std::optional<at::ScalarType> autocast_dtype, dist::Communicator& comm);

// Higher is better for accuracy/macro_f1, lower for loss; NaN is never better.
bool is_better(Metric metric, double candidate, std::optional<double> best);

}  // namespace berth::trainer
