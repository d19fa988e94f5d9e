// Typed, validating reads of a Hugging Face config.json, for every family's config (ModelConfig,
// DebertaV2Config, ModernBertConfig): each wrong or unsupported value is a berth::model_error
// naming the file and the key. Torch-free, like the configs that use it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/choices.h"
#include "model/model_config.h"

namespace berth::model {

class ConfigFields {
 public:
  ConfigFields(const nlohmann::json& j, std::string source);

  bool has(const std::string& key) const;  // present and not null
  // A present, non-null value of the expected kind, or the default. An integral float (768.0)
  // is accepted where an integer is due: people hand-edit configs.
  int64_t integer(const std::string& key, int64_t dflt) const;
  double number(const std::string& key, double dflt) const;
  bool boolean(const std::string& key, bool dflt) const;
  std::string string(const std::string& key, const std::string& dflt) const;

  int64_t positive(const std::string& key, int64_t dflt) const;
  double probability(const std::string& key, double dflt) const;  // in [0, 1)
  // HF's ACT2FN names that Activation covers.
  Activation activation(const std::string& key, const std::string& dflt) const;

  // id2label (or num_labels alone) as label names, index = class id; empty when neither is set.
  std::vector<std::string> label_names() const;
  // problem_type: single_label_classification, multi_label_classification or regression; null
  // (HF decides from num_labels and the label dtype at loss time) when absent.
  std::optional<ProblemType> problem_type() const;
  // model_type must be the family's (model/model_family.h).
  void expect_model_type(ModelFamily family) const;

  [[noreturn]] void fail(const std::string& key, const std::string& what,
                         const std::string& hint = {}) const;
  const std::string& source() const { return source_; }

 private:
  std::vector<std::string> id2label() const;  // present: checked to name ids 0..n-1

  const nlohmann::json& j_;
  std::string source_;
};

// Parses a config.json file (model_error when unreadable or not a JSON object).
nlohmann::json read_config_json(const std::string& path);

// A config.json for the family's *ForSequenceClassification: the keys as read (`original`), less
// those that only describe the run that wrote them, with the architecture, model_type and the
// label keys (id2label/label2id in HF's spellings, problem_type, torch_dtype). A family with
// keys of its own (BERT's, DistilBERT's) writes them over this.
nlohmann::json classifier_config_json(const nlohmann::json& original, ModelFamily family,
                                      const std::vector<std::string>& label_names,
                                      std::optional<ProblemType> problem_type);

}  // namespace berth::model
