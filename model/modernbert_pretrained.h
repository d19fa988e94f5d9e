// ModernBERT model directories in and out: a ModernBertForSequenceClassification, ModernBertModel
// or ModernBertForMaskedLM checkpoint (config.json with model_type "modernbert",
// model.safetensors) into a ModernBertClassifier (a masked-LM checkpoint's head.* is the
// classifier's head, as in transformers), and back into a directory that transformers'
// AutoModelForSequenceClassification loads with the same logits.
#pragma once

#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

#include "model/modernbert_config.h"
#include "model/modernbert_model.h"
#include "model/pretrained.h"

namespace berth::model {

struct LoadedModernBert {
  ModernBertConfig config;                      // label_names resized to the model's labels
  std::shared_ptr<ModernBertClassifier> model;  // on the requested device, fp32, eval mode
  std::vector<std::string> label_names;         // index = class id
  std::vector<std::string> newly_initialised;   // parameters initialised as HF does
};

// As load_classifier (model/pretrained.h) for BERT: options.num_labels overrides the config's
// label count (a stored classifier of another size is discarded), options.init_seed seeds the
// initialisation of a missing head or classifier.
LoadedModernBert load_modernbert_classifier(const std::string& dir, const LoadOptions& options,
                                            const c10::Device& device);

// config.json (ModernBertForSequenceClassification, id2label/label2id from label_names),
// model.safetensors, and the tokenizer files of tokenizer_source_dir.
void save_modernbert_pretrained(const std::string& dir, ModernBertClassifier& model,
                                const ModernBertConfig& config,
                                const std::vector<std::string>& label_names,
                                const std::string& tokenizer_source_dir);

}  // namespace berth::model
