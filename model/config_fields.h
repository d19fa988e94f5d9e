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
  // pad_token_id, inside a vocabulary of `vocab_size` ids.
  int64_t pad_token_id(int64_t dflt, int64_t vocab_size) const;

  [[noreturn]] void fail(const std::string& key, const std::string& what,
                         const std::string& hint = {}) const;
  const std::string& source() const { return source_; }

 private:
  std::vector<std::string> id2label() const;  // present: checked to name ids 0..n-1

  const nlohmann::json& j_;
  std::string source_;
};

// The sizes BERT, DeBERTa-v2 and ModernBERT name alike, read into `c` over its (the family's)
// defaults: each positive, the heads dividing the width, the pad id inside the vocabulary.
template <class Config>
void read_encoder_sizes(const ConfigFields& f, Config& c) {
  c.vocab_size = f.positive("vocab_size", c.vocab_size);
  c.hidden_size = f.positive("hidden_size", c.hidden_size);
  c.num_hidden_layers = f.positive("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = f.positive("num_attention_heads", c.num_attention_heads);
  c.intermediate_size = f.positive("intermediate_size", c.intermediate_size);
  c.max_position_embeddings = f.positive("max_position_embeddings", c.max_position_embeddings);
  if (c.hidden_size % c.num_attention_heads != 0)
    f.fail("hidden_size", std::to_string(c.hidden_size) + " is not divisible by " +
                              "num_attention_heads " + std::to_string(c.num_attention_heads));
  c.pad_token_id = f.pad_token_id(c.pad_token_id, c.vocab_size);
}

// What DeBERTa-v2's and ModernBERT's configs share with ModelConfig under the same names, copied
// into `c` (their fill()); the family maps the rest (dropouts, norms, token types) itself.
template <class Config>
void copy_encoder_sizes(const Config& from, ModelConfig& c) {
  c.vocab_size = from.vocab_size;
  c.hidden_size = from.hidden_size;
  c.num_hidden_layers = from.num_hidden_layers;
  c.num_attention_heads = from.num_attention_heads;
  c.intermediate_size = from.intermediate_size;
  c.max_position_embeddings = from.max_position_embeddings;
  c.pad_token_id = from.pad_token_id;
  c.initializer_range = from.initializer_range;
  c.activation = from.activation;
  c.classifier_dropout = from.classifier_dropout;
  c.embedding_size = from.hidden_size;
}

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
