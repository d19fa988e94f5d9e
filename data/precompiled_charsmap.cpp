#include "data/precompiled_charsmap.h"

#include <utf8proc.h>

#include <cstring>
#include <vector>

#include "common/error.h"
#include "data/utf8.h"

namespace berth::data {

namespace {

// darts-clone unit layout.
bool has_leaf(uint32_t u) {
  return (u >> 8) & 1;
}
uint32_t value(uint32_t u) {
  return u & ((1U << 31) - 1);
}
uint32_t label(uint32_t u) {
  return u & ((1U << 31) | 0xFF);
}
uint32_t offset(uint32_t u) {
  return (u >> 10) << ((u & (1U << 9)) >> 6);
}

}  // namespace

std::string decode_base64(std::string_view s, const std::string& where) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    int v = val(c);
    if (v < 0) {
      throw model_error("tokenizer", where + ": precompiled_charsmap is not base64",
                        "re-save the tokenizer with transformers' save_pretrained");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

PrecompiledCharsmap::PrecompiledCharsmap(std::string blob, const std::string& where) {
  auto bad = [&](const std::string& why) {
    return model_error("tokenizer", where + ": bad precompiled_charsmap (" + why + ")",
                       "re-save the tokenizer with transformers' save_pretrained");
  };
  if (blob.size() < 4) throw bad("shorter than its header");
  uint32_t trie_bytes = 0;
  for (int i = 3; i >= 0; --i) trie_bytes = (trie_bytes << 8) | static_cast<unsigned char>(blob[i]);
  if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4 || trie_bytes == 0)
    throw bad("trie size " + std::to_string(trie_bytes));
  trie_.resize(trie_bytes / 4);
  for (size_t i = 0; i < trie_.size(); ++i) {
    uint32_t u = 0;
    for (int b = 3; b >= 0; --b) u = (u << 8) | static_cast<unsigned char>(blob[4 + 4 * i + b]);
    trie_[i] = u;
  }
  normalized_ = blob.substr(4 + trie_bytes);
}

bool PrecompiledCharsmap::transform(std::string_view key, std::string_view& replacement) const {
  size_t node = 0;
  uint32_t unit = trie_[node];
  node ^= offset(unit);
  for (unsigned char c : key) {
    if (c == 0) break;
    node ^= c;
    if (node >= trie_.size()) return false;
    unit = trie_[node];
    if (label(unit) != c) return false;
    node ^= offset(unit);
    if (node >= trie_.size()) return false;
    if (has_leaf(unit)) {
      // The crate takes the first (shortest) match.
      size_t at = value(trie_[node]);
      if (at >= normalized_.size()) return false;
      size_t end = normalized_.find('\0', at);
      if (end == std::string::npos) end = normalized_.size();
      replacement = std::string_view(normalized_).substr(at, end - at);
      return true;
    }
  }
  return false;
}

void PrecompiledCharsmap::normalize(std::u32string& s) const {
  std::u32string out;
  out.reserve(s.size());
  std::string cluster, one;
  std::string_view rep;
  auto emit = [&](std::string_view r) {
    std::u32string d;
    decode_utf8(r, d);
    out += d;
  };
  // Cluster boundaries: one utf8proc state across the text (regional indicators, ZWJ emoji).
  std::vector<size_t> starts;
  utf8proc_int32_t state = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    if (k == 0 || utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(s[k - 1]),
                                                   static_cast<utf8proc_int32_t>(s[k]), &state))
      starts.push_back(k);
  }
  starts.push_back(s.size());
  for (size_t c = 0; c + 1 < starts.size(); ++c) {
    const size_t i = starts[c], j = starts[c + 1];
    cluster.clear();
    for (size_t k = i; k < j; ++k) append_utf8(cluster, s[k]);
    if (cluster.size() < 6 && transform(cluster, rep)) {
      emit(rep);
    } else {
      for (size_t k = i; k < j; ++k) {
        one.clear();
        append_utf8(one, s[k]);
        if (transform(one, rep))
          emit(rep);
        else
          out.push_back(s[k]);
      }
    }
  }
  s.swap(out);
}

}  // namespace berth::data
