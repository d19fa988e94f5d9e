// The tokenizer of a Hugging Face model directory, giving exactly the ids of its fast tokenizer
// (transformers' AutoTokenizer): BERT's WordPiece pipeline from vocab.txt (+ settings) on a tuned
// path, and the tokenizer.json pipelines of RoBERTa, XLM-R, DeBERTa-v3, ModernBERT ... (byte-level
// BPE, Unigram) through data/tokenizer_pipeline.h. Special tokens follow the post-processor.
// Thread-safe for concurrent encode() calls after construction.
//
// Invalid UTF-8: each maximal ill-formed subsequence (Unicode's "maximal subpart" practice) is read
// as one U+FFFD, exactly as Python's bytes.decode("utf-8", errors="replace"); clean_text then drops
// U+FFFD, so "a\xffb" tokenizes like "ab". Unicode-version details: docs/tokenizer.md.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth::data {

// Settings as Hugging Face reads them: tokenizer.json's normalizer when present, otherwise
// tokenizer_config.json (do_lower_case, strip_accents, tokenize_chinese_chars).
struct TokenizerSettings {
  bool lowercase = true;
  bool strip_accents = true;  // resolved: HF's null means "same as lowercase"
  bool clean_text = true;
  bool handle_chinese_chars = true;
  int max_input_chars_per_word = 100;
  std::string continuing_subword_prefix = "##";
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
};

struct Encoding {
  std::vector<int32_t> ids;            // with [CLS]/[SEP]
  std::vector<int8_t> token_type_ids;  // 0 for the first text, 1 for the second of a pair
};

class Tokenizer {
 public:
  // Reads vocab.txt and the settings from a Hugging Face model/tokenizer directory.
  // Throws berth::Error (component "tokenizer") naming the file when something is missing or bad.
  static Tokenizer from_directory(const std::string& dir);

  Tokenizer(std::vector<std::string> vocab, TokenizerSettings settings);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // tokenizer(text, truncation=True, max_length=max_length): ids with special tokens.
  // Invalid UTF-8 bytes are read as U+FFFD (as Python's errors="replace"), which BERT's
  // normalizer then drops.
  Encoding encode(std::string_view text, int max_length) const;
  // tokenizer(a, b, truncation="longest_first", max_length=max_length).
  Encoding encode_pair(std::string_view a, std::string_view b, int max_length) const;

  // Word pieces without special tokens or truncation (for debugging and tests).
  std::vector<int32_t> tokenize_to_ids(std::string_view text) const;
  // Ids the post-processor adds around one text, or around a pair: 2 and 3 for BERT
  // ([CLS] A [SEP] B [SEP]), 2 and 4 for RoBERTa (<s> A </s></s> B </s>).
  int special_token_count(bool pair) const;
  // `pieces` (from tokenize_to_ids, already cut) inside the single-text template, types set.
  Encoding with_special_tokens(const std::vector<int32_t>& pieces) const;

  const TokenizerSettings& settings() const;
  int vocab_size() const;
  int32_t pad_id() const;
  int32_t cls_id() const;
  int32_t sep_id() const;
  int32_t unk_id() const;
  const std::string& token(int32_t id) const;
  // A stable hash of the vocabulary and settings (of tokenizer.json's bytes for the families
  // other than BERT's), stored in corpora and checked on use.
  std::string fingerprint() const;

 private:
  Tokenizer();
  static Tokenizer from_pipeline(const nlohmann::json& tok_json, const std::string& file,
                                 const std::string& bytes, TokenizerSettings st);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::data
