// The normalizers of tokenizer.json that encoder families use: NFC/NFD/NFKC/NFKD, Lowercase,
// StripAccents, Strip, Replace (string or regex), Prepend, Nmt, Precompiled (sentencepiece's
// charsmap), ByteLevel and Sequence. BertNormalizer is the BERT path's (data/tokenizer.cpp).
// Each runs on one segment of text between added tokens, as in the crate.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace berth::data {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::u32string& s) const = 0;
};

// Builds the normalizer described by `j` (tokenizer.json's "normalizer"); null gives nullptr.
// Throws berth::Error naming the type and `file` for a type Berth does not support.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const std::string& file);

}  // namespace berth::data
