// An encoder's architecture settings, read from (and written to) a Hugging Face config.json of any
// supported family (model/model_family.h). The fields are BERT's names; families that spell them
// otherwise (DistilBERT's dim, n_layers, ...) are mapped on read and written back in their own
// names, and what a family adds has its own fields below.
// Torch-free so that tools that only inspect a model directory need not pull LibTorch in.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/choices.h"
#include "model/model_family.h"

namespace berth::model {

// The feed-forward activation, resolved from HF's hidden_act name.
enum class Activation {
  kGelu,      // "gelu": exact, erf based
  kGeluTanh,  // "gelu_new", "gelu_pytorch_tanh", "gelu_fast": tanh approximation
  kRelu,      // "relu"
  kSilu,      // "silu", "swish"
};

struct ModelConfig {
  ModelFamily family = ModelFamily::kBert;
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";  // the name as written, kept for to_json
  Activation activation = Activation::kGelu;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;  // 0: the family has no token type embeddings (DistilBERT)
  double layer_norm_eps = 1e-12;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  // HF's classifier_dropout: null means "use hidden_dropout_prob"; kept unresolved for to_json.
  std::optional<double> classifier_dropout;
  int64_t pad_token_id = 0;
  double initializer_range = 0.02;

  // ELECTRA: the width of the embeddings, projected to hidden_size by embeddings_project when the
  // two differ. Equal to hidden_size for the other families.
  int64_t embedding_size = 768;
  // DistilBERT: whether the position table was made sinusoidal at initialisation (HF freezes it
  // then; a checkpoint stores the table, which Berth loads and trains like any other).
  bool sinusoidal_pos_embds = false;
  // DistilBERT's head dropout (between pre_classifier and classifier); its classifier_dropout.
  double seq_classif_dropout = 0.2;
  // Index i is the name of label i. Empty when config.json names none (HF then assumes 2).
  std::vector<std::string> label_names;
  // Parsed from config.json's problem_type and written back in transformers' names; null (HF's
  // null) when the file has none: HF then decides from num_labels and the label dtype.
  std::optional<ProblemType> problem_type;

  // Every key of the file as read; to_json starts from it so that keys Berth does not model
  // (e.g. "_name_or_path", "use_cache") survive a save.
  nlohmann::json original = nlohmann::json::object();

  double effective_classifier_dropout() const {
    if (family == ModelFamily::kDistilBert) return seq_classif_dropout;
    return classifier_dropout ? *classifier_dropout : hidden_dropout_prob;
  }
  // RoBERTa and XLM-R number positions from pad_token_id + 1 (the rows below are the padding
  // row and unused), so they embed max_position_embeddings - pad_token_id - 1 tokens.
  bool positions_after_padding() const {
    return family == ModelFamily::kRoberta || family == ModelFamily::kXlmRoberta;
  }
  // The longest input the position table covers: what max_length may be at most.
  int64_t max_sequence_length() const {
    return positions_after_padding() ? max_position_embeddings - pad_token_id - 1
                                     : max_position_embeddings;
  }
  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  // Labels as HF counts them: id2label's size, or 2 when the config has none.
  int64_t num_labels() const {
    return label_names.empty() ? 2 : static_cast<int64_t>(label_names.size());
  }

  // Reads and validates config.json. Unsupported settings throw berth::model_error naming the
  // file and the key. `source` names the file in messages (from_json only).
  static ModelConfig from_file(const std::string& path);
  static ModelConfig from_json(const nlohmann::json& j, const std::string& source);

  // A config.json for the family's *ForSequenceClassification with the given labels
  // (label2id/id2label), in the family's key names; HF reads num_labels from the labels.
  nlohmann::json to_json() const;
};

// The name the other modules still use; the settings are no longer BERT's alone.
using BertConfig = ModelConfig;

// "LABEL_0", "LABEL_1", ...: HF's names when a config has none.
std::vector<std::string> default_label_names(int64_t num_labels);

}  // namespace berth::model
