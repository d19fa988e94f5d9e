// Typed, validating reads of a Hugging Face config.json for the encoder families beyond BERT
// (DeBERTa-v2, ModernBERT): each wrong or unsupported value is a berth::model_error naming the
// file and the key. Torch-free, like the configs that use it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
  // problem_type: "" (null), single_label_classification, multi_label_classification or
  // regression.
  std::string problem_type() const;

  [[noreturn]] void fail(const std::string& key, const std::string& what,
                         const std::string& hint = {}) const;
  const std::string& source() const { return source_; }

 private:
  const nlohmann::json& j_;
  std::string source_;
};

// Parses a config.json file (model_error when unreadable or not a JSON object).
nlohmann::json read_config_json(const std::string& path);

// The keys every classifier config.json carries for its labels: id2label/label2id (HF's
// spellings), problem_type, torch_dtype. Written into `j`.
void write_label_keys(nlohmann::json& j, const std::vector<std::string>& label_names,
                      const std::string& problem_type);

}  // namespace berth::model
