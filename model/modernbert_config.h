// The ModernBERT architecture settings (model_type "modernbert"), read from and written to a
// Hugging Face config.json. Torch-free.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "model/model_config.h"

namespace berth::model {

// classifier_pooling: what the head reads of the last hidden state.
enum class Pooling {
  kCls,   // "cls": the first token
  kMean,  // "mean": the mean over the tokens (padding excluded)
};

struct ModernBertConfig {
  int64_t vocab_size = 50368;
  int64_t hidden_size = 768;
  int64_t intermediate_size = 1152;  // each half of Wi's output (GeGLU: input and gate)
  int64_t num_hidden_layers = 22;
  int64_t num_attention_heads = 12;
  Activation activation = Activation::kGelu;             // hidden_activation
  Activation classifier_activation = Activation::kGelu;  // classifier_activation
  int64_t max_position_embeddings = 8192;
  double initializer_range = 0.02;
  double initializer_cutoff_factor = 2.0;
  double norm_eps = 1e-5;
  bool norm_bias = false;
  int64_t pad_token_id = 50283;
  double global_rope_theta = 160000.0;
  double local_rope_theta = 10000.0;
  bool attention_bias = false;
  double attention_dropout = 0.0;
  int64_t global_attn_every_n_layers = 3;  // layer i attends globally when i % this == 0
  int64_t local_attention = 128;           // the others within +-local_attention / 2 tokens
  double embedding_dropout = 0.0;
  bool mlp_bias = false;
  double mlp_dropout = 0.0;
  Pooling pooling = Pooling::kCls;
  double classifier_dropout = 0.0;
  bool classifier_bias = false;  // head.dense's bias (the classifier itself always has one)

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  bool is_global_layer(int64_t layer) const { return layer % global_attn_every_n_layers == 0; }

  // Settings this implementation would compute differently from transformers are refused with
  // a berth::model_error naming the file and the key. The labels and problem_type are
  // ModelConfig's to read (ModelConfig::from_json), as is writing config.json back (its keys as
  // read, its labels: ModelConfig::to_json).
  static ModernBertConfig from_json(const nlohmann::json& j, const std::string& source);

  // The shared settings (sizes, dropouts, ...) into a ModelConfig of this family whose
  // `original` holds the keys read.
  void fill(ModelConfig& c) const;
};

}  // namespace berth::model
