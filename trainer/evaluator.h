// Evaluation of a classifier on a corpus: loss, accuracy, macro-F1 and the full report, streamed
// (a confusion matrix, never all logits). With several ranks each rank scores a disjoint,
// contiguous slice and the counts are summed, so every example counts exactly once.
#pragma once

#include <optional>

#include "data/corpus.h"
#include "model/bert_model.h"
#include "model/classification_metrics.h"
#include "trainer/communicator.h"

namespace berth::trainer {

struct EvalResult {
  double loss = 0;  // mean cross-entropy (unweighted)
  model::ClassificationReport report;
  double metric(const std::string& name) const;
};

EvalResult evaluate(model::BertClassifier& model, const data::Corpus& corpus, int64_t batch_size,
                    int32_t pad_id, const at::Device& device,
                    std::optional<at::ScalarType> autocast_dtype, Communicator& comm);

// Higher is better for accuracy/macro_f1, lower for loss; NaN is never better.
bool is_better(const std::string& metric, double candidate, std::optional<double> best);

}  // namespace berth::trainer
