// Character predicates as the Rust `tokenizers` crate evaluates them (Rust's std char methods),
// for the tokenizer.json pipeline. The BERT path keeps its own tuned copies in tokenizer.cpp.
#pragma once

#include <string>

namespace berth::data {

// char::is_whitespace: Unicode White_Space, unchanged since Unicode 6.3.
inline bool rust_is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// char::to_lowercase (one-to-many, no final-sigma rule), appended to `out`.
void rust_lowercase(char32_t c, std::u32string& out);
// Word characters for added tokens' single_word (regex-syntax's \w: L, M, Nd, Nl, Pc).
bool is_word_char(char32_t c);
// ASCII punctuation or Unicode P* (the crate's Punctuation pre-tokenizer).
bool is_punctuation_char(char32_t c);
// char::is_numeric: Nd, Nl, No.
bool rust_is_numeric(char32_t c);
// General category M* (the StripAccents normalizer's combining marks).
bool is_mark(char32_t c);

}  // namespace berth::data
