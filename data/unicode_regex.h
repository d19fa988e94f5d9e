// A regular expression over code points, for the pre-tokenizer and normalizer patterns of
// tokenizer.json (Split, Replace, ByteLevel's GPT-2 pattern). Hugging Face compiles them with
// Oniguruma; Berth uses PCRE2 (UTF + UCP), after rewriting \s and \S to Oniguruma's meaning
// (Unicode White_Space, which includes U+0085; PCRE2's \s does not).
// Thread-safe: find_all() may run concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::data {

class UnicodeRegex {
 public:
  // Throws berth::Error (component "tokenizer") naming `where` when the pattern does not compile.
  UnicodeRegex(const std::string& pattern, const std::string& where);
  ~UnicodeRegex();
  UnicodeRegex(UnicodeRegex&&) noexcept;

  // [begin, end) code-point ranges of the non-empty, non-overlapping matches, left to right.
  std::vector<std::pair<size_t, size_t>> find_all(std::u32string_view s) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The pattern with \s / \S spelled as explicit White_Space classes (exposed for tests).
std::string oniguruma_compatible(const std::string& pattern);

}  // namespace berth::data
