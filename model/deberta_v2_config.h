// The DeBERTa-v2 architecture settings (model_type "deberta-v2", which DeBERTa-v3 checkpoints
// use too), read from and written to a Hugging Face config.json. Torch-free.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "model/model_config.h"

namespace berth::model {

struct DebertaV2Config {
  int64_t vocab_size = 128100;
  int64_t hidden_size = 1536;
  int64_t num_hidden_layers = 24;
  int64_t num_attention_heads = 24;
  int64_t intermediate_size = 6144;
  Activation activation = Activation::kGelu;         // hidden_act
  Activation pooler_activation = Activation::kGelu;  // pooler_hidden_act
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 0;  // 0: no token type embeddings (v3)
  double layer_norm_eps = 1e-7;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  double pooler_dropout = 0.0;
  double classifier_dropout = 0.1;  // cls_dropout, else hidden_dropout_prob (resolved)
  int64_t pad_token_id = 0;
  double initializer_range = 0.02;
  bool position_biased_input = true;  // absolute position embeddings added (false in v3)

  // Disentangled attention.
  bool relative_attention = false;
  int64_t max_relative_positions = -1;  // < 1: max_position_embeddings
  int64_t position_buckets = -1;        // <= 0: relative positions are not log-bucketed
  bool share_att_key = false;     // positions projected by query_proj/key_proj, not pos_*_proj
  bool c2p = false, p2c = false;  // pos_att_type
  bool norm_rel_ebd = false;      // norm_rel_ebd "layer_norm": encoder.LayerNorm on rel_embeddings

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  // The relative distances the attention tells apart (HF's pos_ebd_size): a distance is clamped
  // to [-span, span).
  int64_t attention_span() const {
    if (position_buckets > 0) return position_buckets;
    return max_relative_positions < 1 ? max_position_embeddings : max_relative_positions;
  }
  // 1 + one per position term: the scores are divided by sqrt(head_dim * this).
  int64_t scale_factor() const { return 1 + (c2p ? 1 : 0) + (p2c ? 1 : 0); }

  // Settings this implementation would compute differently from transformers are refused with
  // a berth::model_error naming the file and the key. The labels and problem_type are
  // ModelConfig's to read (ModelConfig::from_json), as is writing config.json back (its keys as
  // read, its labels: ModelConfig::to_json).
  static DebertaV2Config from_json(const nlohmann::json& j, const std::string& source);

  // The shared settings (sizes, dropouts, ...) into a ModelConfig of this family whose
  // `original` holds the keys read.
  void fill(ModelConfig& c) const;
};

}  // namespace berth::model
