// Bytes -> WordPiece ids: any input (invalid UTF-8, controls, huge words) gives ids within the
// vocabulary, [CLS] first and [SEP] last, never longer than max_length.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "data/tokenizer.h"

namespace {
std::unique_ptr<berth::data::Tokenizer> tokenizer;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("BERTH_FUZZ_MODEL");
  tokenizer = std::make_unique<berth::data::Tokenizer>(
      berth::data::Tokenizer::from_directory(dir ? dir : "models/default"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const int max_length = 2 + static_cast<int>(size % 61);
  auto check = [&](const berth::data::Encoding& e, int limit, const char* what) {
    bool ok = !e.ids.empty() && e.ids.size() <= static_cast<size_t>(limit) &&
              e.ids.front() == tokenizer->cls_id() && e.ids.back() == tokenizer->sep_id();
    for (auto id : e.ids) ok = ok && id >= 0 && id < tokenizer->vocab_size();
    if (!ok) {
      std::fprintf(stderr, "%s, max_length %d: %zu ids:", what, limit, e.ids.size());
      for (auto id : e.ids) std::fprintf(stderr, " %d", id);
      std::fprintf(stderr, "\n");
      std::abort();
    }
  };
  check(tokenizer->encode(text, max_length), max_length, "single");
  size_t cut = size / 2;
  check(tokenizer->encode_pair(text.substr(0, cut), text.substr(cut), max_length + 1),
        max_length + 1, "pair");
  return 0;
}
