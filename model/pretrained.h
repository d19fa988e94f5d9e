// Hugging Face model directories in and out: load_classifier reads a checkpoint directory of any
// supported family (config.json's model_type; model/model_family.h) — a bare base model (e.g.
// RobertaModel), the family's *ForSequenceClassification, or another head whose extra weights
// are ignored — and save_pretrained writes one that
// transformers.AutoModelForSequenceClassification / AutoTokenizer load as is.
// The directory layout is described in docs/checkpoint-format.md.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "model/sequence_classifier.h"

namespace berth::model {

struct LoadedClassifier {
  ModelConfig config;  // label_names resized to the model's number of labels
  // The family's classifier (config.family), on the requested device, fp32, in eval mode.
  std::shared_ptr<SequenceClassifier> model;
  std::vector<std::string> label_names;  // index = class id
  // Parameters the checkpoint did not provide and that were initialised as HF does
  // (the classification head and/or BERT's pooler), e.g. to warn that predictions are untrained.
  std::vector<std::string> newly_initialised;
};

struct LoadOptions {
  // Number of labels; default: the config's id2label (2 when it has none, as HF). When it
  // differs from a classifier head stored in the checkpoint, that head is discarded and
  // re-initialised (logged), like HF's ignore_mismatched_sizes for the head only.
  std::optional<int64_t> num_labels;
  // Seed for initialising missing weights; without it LibTorch's global generator is used.
  std::optional<uint64_t> init_seed;
  // Called on the model once it is built (CPU, before the device move) and before the
  // checkpoint's weights are copied in: a caller that lays parameters out anew (the predictor's
  // concatenated q/k/v) then receives the weights straight into that layout instead of copying
  // them a second time.
  std::function<void(SequenceClassifier&)> before_weights;
};

// Reads dir/config.json and dir/model.safetensors. Checkpoint names may carry the family's base
// prefix ("bert.", "roberta.", ...) or not, and the old "LayerNorm.gamma/beta" spelling. Missing
// encoder weights, wrong shapes and unusable files throw berth::model_error naming the file and
// tensor; missing head (and BERT pooler) weights are initialised (N(0, initializer_range), zero
// bias) and logged, unexpected keys logged.
LoadedClassifier load_classifier(const std::string& dir, const LoadOptions& options,
                                 const c10::Device& device);
inline LoadedClassifier load_classifier(const std::string& dir,
                                        std::optional<int64_t> num_labels = std::nullopt,
                                        const c10::Device& device = c10::Device(c10::kCPU)) {
  LoadOptions o;
  o.num_labels = num_labels;
  return load_classifier(dir, o, device);
}

// Writes dir/config.json (the family's *ForSequenceClassification in its own key names,
// id2label/label2id from label_names), dir/model.safetensors (every parameter, fp32, HF names)
// and copies the tokenizer files (vocab.txt or tokenizer.json required; the others of
// tokenizer_file_names when present) from tokenizer_source_dir. Each file is written atomically;
// other files in dir (a trainer's state) are left alone.
void save_pretrained(const std::string& dir, SequenceClassifier& model, const ModelConfig& config,
                     const std::vector<std::string>& label_names,
                     const std::string& tokenizer_source_dir);

// The tokenizer files save_pretrained copies, in copy order.
const std::vector<std::string>& tokenizer_file_names();

}  // namespace berth::model
