// Builds the classifier of config.family (model/model_family.h) with freshly initialised
// weights, as transformers' <Family>ForSequenceClassification(config) does; load_classifier
// (model/pretrained.h) then fills it from a checkpoint.
#pragma once

#include <cstdint>
#include <memory>

#include "model/model_config.h"
#include "model/sequence_classifier.h"

namespace berth::model {

// Throws berth::model_error naming the family for one this build does not implement yet.
std::shared_ptr<SequenceClassifier> make_classifier(const ModelConfig& config, int64_t num_labels);

}  // namespace berth::model
