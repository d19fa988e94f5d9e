// sentencepiece's precompiled normalization map (the "Precompiled" normalizer of tokenizer.json,
// from XLM-R, DeBERTa-v3, T5 ... models converted by transformers): a darts-clone double-array
// trie over UTF-8 keys whose values index a table of NUL-terminated replacements.
//
// Hand-written rather than taken from libsentencepiece: Hugging Face does not normalize as
// sentencepiece does. It walks extended grapheme clusters and replaces a cluster of fewer than 6
// bytes by the value of its *shortest* key prefix in the trie, else each character on its own;
// sentencepiece takes the longest match over the raw bytes and also rewrites whitespace. Only
// the crate's walk gives its ids, and sentencepiece's public API exposes neither the trie nor the
// per-cluster lookup.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::data {

class PrecompiledCharsmap {
 public:
  // `blob` is the decoded precompiled_charsmap; throws berth::Error naming `where` when malformed.
  PrecompiledCharsmap(std::string blob, const std::string& where);

  // The replacement of the shortest key that prefixes `utf8`, or false when none does.
  bool transform(std::string_view utf8, std::string_view& replacement) const;
  // The crate's Precompiled normalizer on `s`.
  void normalize(std::u32string& s) const;

 private:
  std::vector<uint32_t> trie_;
  std::string normalized_;
};

// Standard base64 (the charsmap's encoding in tokenizer.json); throws berth::Error naming `where`.
std::string decode_base64(std::string_view s, const std::string& where);

}  // namespace berth::data
