// Which word pieces of a text longer than max_length are kept: data.truncation (prep, train,
// eval, predict; saved in checkpoints). With a budget of B = max_length - 2 word pieces (the
// rest is [CLS] and [SEP]) and the text's pieces p[0..n) without special tokens, n > B:
//   head       p[0 .. B)                       what transformers' truncation=True keeps
//   tail       p[n-B .. n)                     truncation_side="left"
//   head_tail  p[0 .. K) + p[n-(B-K) .. n)     Sun et al. 2019 ("How to Fine-Tune BERT for Text
//                                              Classification?"): 128 + 382 at 512 was best
// K is data.head_tokens, or max_length / 4 when it is -1 (128 at 512, 32 at 128), capped at B.
// Texts of at most B pieces are kept whole by every rule. Text pairs use transformers'
// longest_first only (Tokenizer::encode_pair); a pair with another rule is a usage error.
#pragma once

#include <string>
#include <string_view>

#include "common/choices.h"
#include "data/tokenizer.h"

namespace berth::data {

struct TruncationRule {
  Truncation side = Truncation::kHead;
  int head_tokens = -1;  // head_tail: word pieces kept from the start; -1 = max_length / 4

  // K above, for a text of max_length tokens.
  int head_pieces(int max_length) const;
  // "head_tail (first 32 + last 94 word pieces)", for logs and errors.
  std::string describe(int max_length) const;
};

// The problem with `rule` for max_length (and text pairs), or "" when there is none.
std::string truncation_problem(const TruncationRule& rule, int max_length, bool pairs);

// tok.encode(text, max_length) with the word pieces kept by `rule`; [CLS]/[SEP] included.
Encoding encode_truncated(const Tokenizer& tok, std::string_view text, int max_length,
                          const TruncationRule& rule);

}  // namespace berth::data
