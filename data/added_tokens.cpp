#include "data/added_tokens.h"

#include <algorithm>

#include "data/rust_chars.h"
#include "data/utf8.h"

namespace berth::data {

void AddedTokens::add(AddedToken t) {
  if (t.content.empty()) return;
  if (firsts_.find(t.content[0]) == std::u32string::npos) firsts_.push_back(t.content[0]);
  tokens_.push_back(std::move(t));
}

const AddedToken* AddedTokens::longest_at(const std::u32string& s, size_t i) const {
  const AddedToken* best = nullptr;
  if (firsts_.find(s[i]) == std::u32string::npos) return best;
  for (const auto& t : tokens_) {
    const size_t m = t.content.size();
    if ((!best || m > best->content.size()) && m <= s.size() - i && s.compare(i, m, t.content) == 0)
      best = &t;
  }
  return best;
}

std::vector<AddedTokens::Segment> AddedTokens::split(const std::u32string& s) const {
  std::vector<Segment> out;
  size_t done = 0;  // end of the last token taken
  for (size_t i = 0; i < s.size();) {
    const AddedToken* t = longest_at(s, i);
    if (!t) {
      ++i;
      continue;
    }
    size_t start = i, stop = i + t->content.size();
    i = stop;  // matches never overlap, kept or not
    if (t->single_word) {
      const bool left_ok = start == 0 || !is_word_char(s[start - 1]);
      const bool right_ok = stop == s.size() || !is_word_char(s[stop]);
      if (!left_ok || !right_ok) continue;
    }
    if (t->lstrip) {
      size_t b = start;
      while (b > done && rust_is_whitespace(s[b - 1])) --b;
      start = b;
    }
    if (t->rstrip)
      while (stop < s.size() && rust_is_whitespace(s[stop])) ++stop;
    if (done < start) out.push_back({done, start, -1});
    out.push_back({start, stop, t->id});
    done = stop;
    i = std::max(i, stop);
  }
  if (done != s.size() || s.empty()) out.push_back({done, s.size(), -1});
  return out;
}

std::string AddedTokens::describe() const {
  std::string d;
  for (const auto& t : tokens_) {
    d += encode_utf8(t.content) + "=" + std::to_string(t.id) + (t.lstrip ? "l" : "") +
         (t.rstrip ? "r" : "") + (t.single_word ? "w" : "") + ";";
  }
  return d;
}

}  // namespace berth::data
