// UTF-8 <-> code points for the tokenizers. Decoding never fails: each maximal ill-formed
// subsequence becomes one U+FFFD, as Python's bytes.decode("utf-8", errors="replace") does, so
// Berth sees what transformers sees for the same bytes.
#pragma once

#include <string>
#include <string_view>

namespace berth::data {

void decode_utf8(std::string_view s, std::u32string& out);
std::u32string decode_utf8(std::string_view s);
void append_utf8(std::string& s, char32_t c);
std::string encode_utf8(std::u32string_view s);

}  // namespace berth::data
