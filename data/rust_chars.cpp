#include "data/rust_chars.h"

#include <utf8proc.h>

#include <algorithm>

#include "data/unicode_overrides.h"
#include "data/utf8.h"

namespace berth::data {

namespace {
int category(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}
}  // namespace

void rust_lowercase(char32_t c, std::u32string& out) {
  namespace uo = unicode_overrides;
  if (c < 0x80) {
    out.push_back((c >= 'A' && c <= 'Z') ? c + 32 : c);
    return;
  }
  // Where Rust's (newer) Unicode data lowercases differently from utf8proc's.
  auto it =
      std::lower_bound(std::begin(uo::kLowerMap), std::end(uo::kLowerMap), static_cast<int32_t>(c),
                       [](const uo::Mapping& x, int32_t v) { return x.cp < v; });
  if (it != std::end(uo::kLowerMap) && it->cp == static_cast<int32_t>(c)) {
    out += decode_utf8(it->utf8);
  } else if (c == 0x130) {
    out.push_back('i');
    out.push_back(0x307);
  } else {
    out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
  }
}

bool is_word_char(char32_t c) {
  if (c < 0x80)
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  int cat = category(c);
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ME) ||
         cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_PC;
}

bool is_punctuation_char(char32_t c) {
  if (c < 0x80) {
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
  }
  int cat = category(c);
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool rust_is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  int cat = category(c);
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool is_mark(char32_t c) {
  int cat = category(c);
  return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME;
}

}  // namespace berth::data
