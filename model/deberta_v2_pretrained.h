// DeBERTa-v2/v3 model directories in and out: a DebertaV2ForSequenceClassification or bare
// DebertaV2Model checkpoint (config.json with model_type "deberta-v2", model.safetensors) into a
// DebertaV2Classifier, and back into a directory that transformers'
// AutoModelForSequenceClassification loads with the same logits.
#pragma once

#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

#include "model/deberta_v2_config.h"
#include "model/deberta_v2_model.h"
#include "model/pretrained.h"

namespace berth::model {

struct LoadedDebertaV2 {
  DebertaV2Config config;                      // label_names resized to the model's labels
  std::shared_ptr<DebertaV2Classifier> model;  // on the requested device, fp32, eval mode
  std::vector<std::string> label_names;        // index = class id
  std::vector<std::string> newly_initialised;  // parameters initialised as HF does
};

// As load_classifier (model/pretrained.h) for BERT: options.num_labels overrides the config's
// label count (a stored head of another size is discarded), options.init_seed seeds the
// initialisation of a missing pooler or classifier.
LoadedDebertaV2 load_deberta_v2_classifier(const std::string& dir, const LoadOptions& options,
                                           const c10::Device& device);

// config.json (DebertaV2ForSequenceClassification, id2label/label2id from label_names),
// model.safetensors, and the tokenizer files of tokenizer_source_dir.
void save_deberta_v2_pretrained(const std::string& dir, DebertaV2Classifier& model,
                                const DebertaV2Config& config,
                                const std::vector<std::string>& label_names,
                                const std::string& tokenizer_source_dir);

}  // namespace berth::model
