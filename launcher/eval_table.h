// `berth eval`'s report as text for a terminal: the scores, a per-class precision/recall/F1/
// support table and the confusion matrix (rows = true label, columns = prediction).
#pragma once

#include <string>

#include "model/classification_metrics.h"

namespace berth::launcher {

std::string format_eval_table(const model::ClassificationReport& report, double loss);

}  // namespace berth::launcher
