#include "data/text_windows.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace berth::data {

std::string windows_problem(int max_length, int stride) {
  const int budget = max_length - 2;
  if (budget < 1)
    return "max length " + std::to_string(max_length) + " leaves no word piece per window";
  if (stride < 0 || stride >= budget)
    return "--windows " + std::to_string(stride) + " must be at least 0 and less than the " +
           std::to_string(budget) + " word pieces a window of max length " +
           std::to_string(max_length) + " holds (it is the overlap of consecutive windows)";
  return "";
}

std::vector<std::pair<size_t, size_t>> window_ranges(size_t n, int budget, int stride) {
  if (std::string p = windows_problem(budget + 2, stride); !p.empty())
    throw usage_error("tokenizer", p, "e.g. --windows 128 with --max-length 512");
  const size_t b = static_cast<size_t>(budget);
  if (n <= b) return {{0, n}};
  const size_t step = b - static_cast<size_t>(stride);
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t start = 0;; start += step) {
    const size_t end = std::min(n, start + b);
    out.emplace_back(start, end);
    if (end == n) break;
  }
  return out;
}

std::vector<Encoding> encode_windows(const Tokenizer& tok, std::string_view text, int max_length,
                                     int stride) {
  const std::vector<int32_t> pieces = tok.tokenize_to_ids(text);
  std::vector<Encoding> out;
  const int budget = max_length - tok.special_token_count(false);
  for (auto [b, e] : window_ranges(pieces.size(), budget, stride)) {
    out.push_back(tok.with_special_tokens(std::vector<int32_t>(
        pieces.begin() + static_cast<ptrdiff_t>(b), pieces.begin() + static_cast<ptrdiff_t>(e))));
  }
  return out;
}

}  // namespace berth::data
