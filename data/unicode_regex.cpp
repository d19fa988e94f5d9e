#define PCRE2_CODE_UNIT_WIDTH 8
#include "data/unicode_regex.h"

#include <pcre2.h>

#include "common/error.h"
#include "data/utf8.h"

namespace berth::data {

namespace {
// Unicode White_Space: exactly the Z categories plus \t-\r and U+0085.
constexpr const char* kSpaceSet = "\\t-\\r\\x{85}\\p{Z}";
}  // namespace

std::string oniguruma_compatible(const std::string& p) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[++i];
      if (n == 's') {
        out += in_class ? std::string(kSpaceSet) : "[" + std::string(kSpaceSet) + "]";
      } else if (n == 'S' && !in_class) {
        out += "[^" + std::string(kSpaceSet) + "]";
      } else {
        out += c;
        out += n;
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal member, not the end of the class.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

struct UnicodeRegex::Impl {
  pcre2_code* code = nullptr;
  ~Impl() { pcre2_code_free(code); }
};

UnicodeRegex::UnicodeRegex(const std::string& pattern, const std::string& where)
    : impl_(std::make_unique<Impl>()) {
  const std::string p = oniguruma_compatible(pattern);
  int err = 0;
  PCRE2_SIZE off = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(),
                              PCRE2_UTF | PCRE2_UCP, &err, &off, nullptr);
  if (!impl_->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw model_error("tokenizer",
                      where + ": regular expression '" + pattern + "' does not compile at offset " +
                          std::to_string(off) + ": " + reinterpret_cast<const char*>(msg),
                      "Berth compiles tokenizer.json patterns with PCRE2; report the pattern");
  }
  pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter
}

UnicodeRegex::~UnicodeRegex() = default;
UnicodeRegex::UnicodeRegex(UnicodeRegex&&) noexcept = default;

std::vector<std::pair<size_t, size_t>> UnicodeRegex::find_all(std::u32string_view s) const {
  std::string u;
  std::vector<size_t> cp_at;  // code-point index of each byte offset (and of the end)
  u.reserve(s.size());
  cp_at.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size(); ++i) {
    size_t before = u.size();
    append_utf8(u, s[i]);
    cp_at.insert(cp_at.end(), u.size() - before, i);
  }
  cp_at.push_back(s.size());
  std::vector<std::pair<size_t, size_t>> out;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  PCRE2_SIZE pos = 0;
  while (pos < u.size()) {
    int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(u.data()), u.size(), pos,
                         PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    if (ov[1] > ov[0]) {
      out.emplace_back(cp_at[ov[0]], cp_at[ov[1]]);
      pos = ov[1];
    } else {
      // An empty match: step over one character (empty pieces are dropped anyway).
      pos = ov[0] + 1;
      while (pos < u.size() && (static_cast<unsigned char>(u[pos]) & 0xC0) == 0x80) ++pos;
    }
  }
  pcre2_match_data_free(md);
  return out;
}

}  // namespace berth::data
