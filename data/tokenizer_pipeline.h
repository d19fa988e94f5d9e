// The tokenizer.json pipeline for families other than BERT's WordPiece (RoBERTa, XLM-R,
// DeBERTa-v3, ModernBERT, ...): added tokens, normalizer, pre-tokenizer, model, in the crate's
// order, each text segment between added tokens on its own. The post-processor (special tokens)
// is kept by Tokenizer. Thread-safe after construction.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "data/added_tokens.h"
#include "data/normalizer.h"
#include "data/pre_tokenizer.h"
#include "data/subword_model.h"

namespace berth::data {

class TokenizerPipeline {
 public:
  // Throws berth::Error naming `file` and the component it cannot build.
  TokenizerPipeline(const nlohmann::json& tokenizer_json, const std::string& file);

  // Ids of `text` (UTF-8, invalid bytes read as U+FFFD) without special tokens or truncation.
  void tokenize(std::string_view text, std::vector<int32_t>& out) const;

  // Token of each id, added tokens included.
  const std::vector<std::string>& vocab() const { return vocab_; }
  // The id of `token` (added or model token), -1 when there is none.
  int32_t id_of(const std::string& token) const;
  int32_t unk_id() const { return model_->unk_id(); }
  // Whether the normalizer lowercases (reported in corpus info).
  bool lowercases() const { return lowercases_; }

 private:
  void tokenize_segment(std::u32string s, bool first, std::vector<int32_t>& out) const;

  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<SubwordModel> model_;
  AddedTokens raw_tokens_, normalized_tokens_;
  std::vector<std::string> vocab_;
  bool lowercases_ = false;
};

}  // namespace berth::data
