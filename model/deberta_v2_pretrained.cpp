#include "model/deberta_v2_pretrained.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "model/hf_classifier_io.h"

namespace berth::model {

namespace fs = std::filesystem;

namespace {

const ClassifierLayout& layout() {
  static const ClassifierLayout l{"DeBERTa-v2", "deberta.", {"pooler.", "classifier."}};
  return l;
}

}  // namespace

LoadedDebertaV2 load_deberta_v2_classifier(const std::string& dir_str,
                                           const LoadOptions& options,
                                           const c10::Device& device) {
  const fs::path dir(dir_str);
  require_model_directory(dir);
  LoadedDebertaV2 out;
  out.config = DebertaV2Config::from_file((dir / "config.json").string());
  const int64_t num_labels = options.num_labels.value_or(out.config.num_labels());
  if (num_labels <= 0)
    throw usage_error("model", "num_labels must be positive, got " + std::to_string(num_labels));
  if (static_cast<int64_t>(out.config.label_names.size()) != num_labels)
    out.config.label_names = default_label_names(num_labels);
  out.label_names = out.config.label_names;

  auto model = std::make_shared<DebertaV2Classifier>(out.config, num_labels);
  WeightLoad load =
      load_classifier_weights(*model, dir, layout(), options.num_labels.has_value());
  std::optional<at::Generator> gen;
  if (options.init_seed) gen = at::detail::createCPUGenerator(*options.init_seed);
  // HF initialises missing modules in model order: the pooler before the classifier.
  for (const auto& head : load.missing_heads) {
    if (head == "pooler.") {
      model->reset_pooler(gen);
      out.newly_initialised.insert(out.newly_initialised.end(),
                                   {"pooler.dense.weight", "pooler.dense.bias"});
    }
  }
  for (const auto& head : load.missing_heads) {
    if (head == "classifier.") {
      model->reset_classifier(gen);
      out.newly_initialised.insert(out.newly_initialised.end(),
                                   {"classifier.weight", "classifier.bias"});
    }
  }
  if (!out.newly_initialised.empty())
    log::get("model")->info("{}: initialised {} anew ({} labels{})", dir_str,
                            out.newly_initialised.front(), num_labels,
                            load.classifier_discarded ? "; the stored head had another count"
                                                      : "");
  model->to(device);
  model->eval();
  out.model = std::move(model);
  return out;
}

void save_deberta_v2_pretrained(const std::string& dir, DebertaV2Classifier& model,
                                const DebertaV2Config& config,
                                const std::vector<std::string>& label_names,
                                const std::string& tokenizer_source_dir) {
  if (static_cast<int64_t>(label_names.size()) != model.num_labels())
    throw usage_error("model", std::to_string(label_names.size()) +
                                   " label names for a model with " +
                                   std::to_string(model.num_labels()) + " labels");
  DebertaV2Config c = config;
  c.label_names = label_names;
  save_classifier_directory(dir, model, c.to_json().dump(2) + "\n", tokenizer_source_dir);
}

}  // namespace berth::model
