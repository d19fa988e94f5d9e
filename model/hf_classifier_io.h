// Loading and saving the weights of an encoder-family classifier in a Hugging Face model
// directory (config.json + model.safetensors), by the family's parameter names: shared by the
// families beyond BERT (DeBERTa-v2, ModernBERT), whose checkpoints are the family's
// *ForSequenceClassification or its bare base model (or a base model with a pretraining head).
#pragma once

#include <torch/nn/module.h>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::model {

// How a family names its classifier's parameters in a checkpoint.
struct ClassifierLayout {
  std::string family;       // for messages: "DeBERTa-v2"
  std::string base_prefix;  // "deberta.": a bare base model's keys lack it
  // Heads on top of the base model that a checkpoint may lack (then initialised by the caller):
  // "pooler." / "head." and "classifier.".
  std::vector<std::string> head_prefixes;
};

struct WeightLoad {
  // Head prefixes (of ClassifierLayout::head_prefixes) with at least one parameter the
  // checkpoint did not provide, or whose classifier was discarded for another label count.
  std::vector<std::string> missing_heads;
  bool classifier_discarded = false;  // the stored head had another number of labels
  std::vector<std::string> unexpected;  // checkpoint keys the classifier does not use
};

// Fills model's parameters from dir/model.safetensors. A key is used as is when it starts with
// base_prefix or a head prefix, else with base_prefix prepended (a bare base model). Missing
// base-model weights and wrong shapes throw berth::model_error naming the file and tensor;
// a "classifier." tensor of another shape is discarded when labels_overridden (the caller asked
// for another label count), as HF's ignore_mismatched_sizes for the head.
WeightLoad load_classifier_weights(torch::nn::Module& model, const std::filesystem::path& dir,
                                   const ClassifierLayout& layout, bool labels_overridden);

// Writes dir/config.json (`config_json`), dir/model.safetensors (every parameter, fp32, by
// name) and copies the tokenizer files present in tokenizer_source_dir (tokenizer.json,
// tokenizer_config.json, special_tokens_map.json, spm.model, vocab.txt, ...). Each file is written
// atomically; other files in dir are left alone.
void save_classifier_directory(const std::filesystem::path& dir, torch::nn::Module& model,
                               const std::string& config_json,
                               const std::filesystem::path& tokenizer_source_dir);

// The model directory checks every family's loader makes first: dir exists, has
// model.safetensors (else a model_error naming what it found instead).
void require_model_directory(const std::filesystem::path& dir);

}  // namespace berth::model
