// Overlapping windows over a whole text, for `berth eval` / `berth predict --windows STRIDE`:
// the same windows as transformers'
//   tokenizer(text, truncation=True, max_length=max_length, stride=STRIDE,
//             return_overflowing_tokens=True)
// (the first encoding, then its overflowing ones). With a budget of B = max_length - 2 word
// pieces per window and the text's n pieces: one window when n <= B; otherwise windows start at
// 0, B-STRIDE, 2(B-STRIDE), ... and stop after the first that reaches the end, so consecutive
// windows share STRIDE pieces (0 <= STRIDE < B). Each window carries its own [CLS] and [SEP].
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "data/tokenizer.h"

namespace berth::data {

// [begin, end) word-piece ranges of the windows over n pieces (at least one, [0, 0) for n = 0).
// Throws usage_error unless 0 <= stride < budget.
std::vector<std::pair<size_t, size_t>> window_ranges(size_t n, int budget, int stride);

// The windows' encodings ([CLS] + pieces + [SEP], token types 0), in text order.
std::vector<Encoding> encode_windows(const Tokenizer& tok, std::string_view text, int max_length,
                                     int stride);

// The usage problem with --windows STRIDE at max_length, or "" when there is none.
std::string windows_problem(int max_length, int stride);

}  // namespace berth::data
