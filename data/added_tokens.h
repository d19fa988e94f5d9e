// tokenizer.json's added_tokens, found in the text before the model sees it, as the crate's
// AddedVocabulary does: leftmost-longest matches; tokens with normalized=false are matched in
// the raw text, the others in each normalized segment (their content normalized the same way);
// single_word drops a match touching a word character, lstrip / rstrip take the whitespace on
// that side into the token.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::data {

struct AddedToken {
  std::u32string content;
  int32_t id = -1;
  bool lstrip = false, rstrip = false, single_word = false;
};

class AddedTokens {
 public:
  void add(AddedToken t);
  bool empty() const { return tokens_.empty(); }

  struct Segment {
    size_t begin, end;
    int32_t id;  // the added token's id, -1 for text between tokens
  };
  // s cut into text and token segments, in order; text segments may be empty only when s is.
  std::vector<Segment> split(const std::u32string& s) const;
  // "content=id;..." for the fingerprint.
  std::string describe() const;

 private:
  // The longest token matching at s[i], or nullptr.
  const AddedToken* longest_at(const std::u32string& s, size_t i) const;

  std::vector<AddedToken> tokens_;
  std::u32string firsts_;  // first characters of the tokens, to skip most positions fast
};

}  // namespace berth::data
