#include "data/truncation.h"

#include <algorithm>

namespace berth::data {

int TruncationRule::head_pieces(int max_length) const {
  const int budget = std::max(0, max_length - 2);
  const int k = head_tokens >= 0 ? head_tokens : max_length / 4;
  return std::min(k, budget);
}

std::string TruncationRule::describe(int max_length) const {
  if (side != Truncation::kHeadTail) return to_string(side);
  const int k = head_pieces(max_length);
  return "head_tail (first " + std::to_string(k) + " + last " +
         std::to_string(std::max(0, max_length - 2 - k)) + " word pieces)";
}

std::string truncation_problem(const TruncationRule& rule, int max_length, bool pairs) {
  if (pairs && rule.side != Truncation::kHead)
    return "truncation " + to_string(rule.side) +
           " applies to single texts; text pairs are cut longest_first (use head)";
  if (rule.head_tokens < -1)
    return "head_tokens " + std::to_string(rule.head_tokens) + " is negative (-1: max_length / 4)";
  if (rule.head_tokens > max_length - 2)
    return "head_tokens " + std::to_string(rule.head_tokens) + " is more than the " +
           std::to_string(max_length - 2) + " word pieces max_length " +
           std::to_string(max_length) + " leaves beside [CLS] and [SEP]";
  return "";
}

Encoding encode_truncated(const Tokenizer& tok, std::string_view text, int max_length,
                          const TruncationRule& rule) {
  // encode() keeps the head itself and checks max_length.
  if (rule.side == Truncation::kHead) return tok.encode(text, max_length);
  tok.encode(std::string_view(), max_length);  // validates max_length
  std::vector<int32_t> pieces = tok.tokenize_to_ids(text);
  const size_t budget = static_cast<size_t>(max_length - tok.special_token_count(false));
  const size_t n = pieces.size();
  if (n <= budget) return tok.with_special_tokens(pieces);
  const size_t head = rule.side == Truncation::kTail
                          ? 0
                          : std::min(budget, static_cast<size_t>(rule.head_pieces(max_length)));
  std::vector<int32_t> kept(pieces.begin(), pieces.begin() + static_cast<ptrdiff_t>(head));
  kept.insert(kept.end(), pieces.end() - static_cast<ptrdiff_t>(budget - head), pieces.end());
  return tok.with_special_tokens(kept);
}

}  // namespace berth::data
