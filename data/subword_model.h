// The model of a tokenizer.json pipeline (BPE, Unigram, WordPiece): ids of one pre-tokenized
// piece, and the vocabulary (id -> token) it brings.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace berth::data {

class SubwordModel {
 public:
  virtual ~SubwordModel() = default;
  // Appends the ids of `piece` (a pre-tokenizer's output) to `out`.
  virtual void tokenize(const std::u32string& piece, std::vector<int32_t>& out) const = 0;
  // Token of each id (ids the model lacks are empty).
  virtual const std::vector<std::string>& vocab() const = 0;
  // The model's unknown token id, or -1.
  virtual int32_t unk_id() const = 0;
};

// tokenizer.json's "model"; throws berth::Error naming the type and `file` when unsupported.
std::unique_ptr<SubwordModel> make_subword_model(const nlohmann::json& j, const std::string& file);

// The individual models (bpe_model.cpp, unigram_model.cpp, wordpiece_model.cpp).
std::unique_ptr<SubwordModel> make_bpe_model(const nlohmann::json& j, const std::string& file);
std::unique_ptr<SubwordModel> make_unigram_model(const nlohmann::json& j, const std::string& file);
std::unique_ptr<SubwordModel> make_wordpiece_model(const nlohmann::json& j,
                                                   const std::string& file);

}  // namespace berth::data
