// The pre-tokenizers of tokenizer.json that encoder families use: ByteLevel (GPT-2 pattern and
// byte-to-character table), Metaspace, Whitespace, WhitespaceSplit, Split (string or regex, the
// five delimiter behaviours, invert), Punctuation, Digits, CharDelimiterSplit, BertPreTokenizer
// and Sequence. They cut a normalized segment into the pieces the model tokenizes one by one.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace berth::data {

struct PrePiece {
  std::u32string text;
  // Starts at offset 0 of the original text (Metaspace's prepend_scheme "first").
  bool first = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces each piece by its parts; empty parts are dropped, as in the crate.
  virtual void split(std::vector<PrePiece>& pieces) const = 0;
};

// null gives nullptr; throws berth::Error naming the type and `file` for an unsupported one.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const std::string& file);

// GPT-2's printable character for byte b (bytes_to_unicode).
char32_t byte_level_char(unsigned char b);

}  // namespace berth::data
