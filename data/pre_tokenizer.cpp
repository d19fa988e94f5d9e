#include "data/pre_tokenizer.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/error.h"
#include "data/rust_chars.h"
#include "data/unicode_regex.h"
#include "data/utf8.h"

namespace berth::data {

namespace {

using Ranges = std::vector<std::pair<size_t, size_t>>;

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

Behavior parse_behavior(const std::string& b, const std::string& file) {
  if (b == "Removed") return Behavior::kRemoved;
  if (b == "Isolated") return Behavior::kIsolated;
  if (b == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::kMergedWithNext;
  if (b == "Contiguous") return Behavior::kContiguous;
  throw model_error("tokenizer", file + ": split behavior '" + b + "' is not supported",
                    "expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
}

struct Span {
  size_t b, e;
  bool match;
};

// The crate's NormalizedString::split: `m` are the matches in s (sorted, disjoint).
void split_by(const PrePiece& p, const Ranges& m, Behavior how, bool invert,
              std::vector<PrePiece>& out) {
  const size_t n = p.text.size();
  std::vector<Span> spans;
  size_t prev = 0;
  for (auto [b, e] : m) {
    if (prev != b) spans.push_back({prev, b, false});
    spans.push_back({b, e, true});
    prev = e;
  }
  if (prev != n || n == 0) spans.push_back({prev, n, false});
  if (invert)
    for (auto& s : spans) s.match = !s.match;
  std::vector<Span> r;
  bool prev_match = false;
  switch (how) {
    case Behavior::kRemoved:
      for (auto& s : spans)
        if (!s.match) r.push_back(s);
      break;
    case Behavior::kIsolated:
      r = spans;
      break;
    case Behavior::kMergedWithPrevious:
      for (auto& s : spans) {
        if (s.match && !prev_match && !r.empty())
          r.back().e = s.e;
        else
          r.push_back(s);
        prev_match = s.match;
      }
      break;
    case Behavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->match && !prev_match && !r.empty())
          r.back().b = it->b;
        else
          r.push_back(*it);
        prev_match = it->match;
      }
      std::reverse(r.begin(), r.end());
      break;
    case Behavior::kContiguous:
      for (size_t i = 0; i < spans.size(); ++i) {
        if (i > 0 && spans[i].match == prev_match)
          r.back().e = spans[i].e;
        else
          r.push_back(spans[i]);
        prev_match = spans[i].match;
      }
      break;
  }
  for (auto& s : r)
    if (s.e > s.b) out.push_back({p.text.substr(s.b, s.e - s.b), p.first && s.b == 0});
}

template <typename F>
void each_piece(std::vector<PrePiece>& pieces, F&& f) {
  std::vector<PrePiece> out;
  out.reserve(pieces.size());
  for (const auto& p : pieces) f(p, out);
  pieces.swap(out);
}

// Ranges of the characters satisfying `pred`, one per character.
template <typename P>
Ranges char_matches(const std::u32string& s, P&& pred) {
  Ranges m;
  for (size_t i = 0; i < s.size(); ++i)
    if (pred(s[i])) m.emplace_back(i, i + 1);
  return m;
}

class RegexSplit : public PreTokenizer {
 public:
  RegexSplit(const std::string& pattern, Behavior how, bool invert, const std::string& where)
      : re_(pattern, where), how_(how), invert_(invert) {}
  void split(std::vector<PrePiece>& pieces) const override {
    each_piece(pieces, [&](const PrePiece& p, auto& out) {
      split_by(p, re_.find_all(p.text), how_, invert_, out);
    });
  }

 private:
  UnicodeRegex re_;
  Behavior how_;
  bool invert_;
};

class LiteralSplit : public PreTokenizer {
 public:
  LiteralSplit(std::u32string lit, Behavior how, bool invert)
      : lit_(std::move(lit)), how_(how), invert_(invert) {}
  void split(std::vector<PrePiece>& pieces) const override {
    each_piece(pieces, [&](const PrePiece& p, auto& out) {
      Ranges m;
      if (!lit_.empty())
        for (size_t at = p.text.find(lit_); at != std::u32string::npos;
             at = p.text.find(lit_, at + lit_.size()))
          m.emplace_back(at, at + lit_.size());
      split_by(p, m, how_, invert_, out);
    });
  }

 private:
  std::u32string lit_;
  Behavior how_;
  bool invert_;
};

// Splits on characters satisfying a predicate (WhitespaceSplit, Punctuation, Digits, ...).
template <typename P>
class CharSplit : public PreTokenizer {
 public:
  CharSplit(P pred, Behavior how) : pred_(pred), how_(how) {}
  void split(std::vector<PrePiece>& pieces) const override {
    each_piece(pieces, [&](const PrePiece& p, auto& out) {
      split_by(p, char_matches(p.text, pred_), how_, false, out);
    });
  }

 private:
  P pred_;
  Behavior how_;
};

template <typename P>
std::unique_ptr<PreTokenizer> char_split(P pred, Behavior how) {
  return std::make_unique<CharSplit<P>>(pred, how);
}

// GPT-2's pattern, as the crate's ByteLevel pre-tokenizer compiles it.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevel : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex, const std::string& file)
      : add_prefix_space_(add_prefix_space) {
    if (use_regex) re_ = std::make_unique<UnicodeRegex>(kGpt2Pattern, file + " (ByteLevel)");
  }
  void split(std::vector<PrePiece>& pieces) const override {
    each_piece(pieces, [&](const PrePiece& in, auto& out) {
      PrePiece p = in;
      if (add_prefix_space_ && !p.text.empty() && p.text[0] != ' ') p.text.insert(0, 1, U' ');
      if (re_)
        split_by(p, re_->find_all(p.text), Behavior::kIsolated, false, out);
      else if (!p.text.empty())
        out.push_back(p);
    });
    std::string u;
    for (auto& p : pieces) {
      u = encode_utf8(p.text);
      p.text.clear();
      for (unsigned char b : u) p.text.push_back(byte_level_char(b));
    }
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<UnicodeRegex> re_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

class Metaspace : public PreTokenizer {
 public:
  Metaspace(char32_t replacement, PrependScheme scheme, bool split)
      : rep_(replacement), scheme_(scheme), split_(split) {}
  void split(std::vector<PrePiece>& pieces) const override {
    each_piece(pieces, [&](const PrePiece& in, auto& out) {
      PrePiece p = in;
      for (auto& c : p.text)
        if (c == U' ') c = rep_;
      // The crate's prepend() does nothing on an empty string.
      bool prepend =
          !p.text.empty() && p.text[0] != rep_ &&
          (scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && p.first));
      if (prepend) p.text.insert(0, 1, rep_);
      if (split_)
        split_by(p, char_matches(p.text, [&](char32_t c) { return c == rep_; }),
                 Behavior::kMergedWithNext, false, out);
      else if (!p.text.empty())
        out.push_back(p);
    });
  }

 private:
  char32_t rep_;
  PrependScheme scheme_;
  bool split_;
};

class Sequence : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void split(std::vector<PrePiece>& pieces) const override {
    for (const auto& p : parts_) p->split(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

// BertPreTokenizer: whitespace removed, then each punctuation character isolated.
class BertPre : public PreTokenizer {
 public:
  void split(std::vector<PrePiece>& pieces) const override {
    ws_.split(pieces);
    punct_.split(pieces);
  }

 private:
  CharSplit<bool (*)(char32_t)> ws_{rust_is_whitespace, Behavior::kRemoved};
  CharSplit<bool (*)(char32_t)> punct_{is_punctuation_char, Behavior::kIsolated};
};

}  // namespace

char32_t byte_level_char(unsigned char b) {
  static const auto table = [] {
    std::array<char32_t, 256> t{};
    char32_t next = 256;
    for (int i = 0; i < 256; ++i) {
      bool printable = (i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255);
      t[i] = printable ? static_cast<char32_t>(i) : next++;
    }
    return t;
  }();
  return table[b];
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const std::string& file) {
  if (j.is_null()) return nullptr;
  const std::string type = j.value("type", "");
  auto behavior = [&](const char* def) {
    return parse_behavior(j.value("behavior", std::string(def)), file);
  };
  if (type == "ByteLevel")
    return std::make_unique<ByteLevel>(j.value("add_prefix_space", true),
                                       j.value("use_regex", true), file);
  if (type == "Metaspace") {
    std::u32string rep = decode_utf8(j.value("replacement", std::string("\u2581")));
    PrependScheme scheme =
        j.value("add_prefix_space", true) ? PrependScheme::kAlways : PrependScheme::kNever;
    if (j.contains("prepend_scheme")) {
      const std::string s = j["prepend_scheme"].get<std::string>();
      if (s == "always")
        scheme = PrependScheme::kAlways;
      else if (s == "first")
        scheme = PrependScheme::kFirst;
      else if (s == "never")
        scheme = PrependScheme::kNever;
      else
        throw model_error("tokenizer", file + ": Metaspace prepend_scheme '" + s + "' is unknown",
                          "expected always, first or never");
    }
    if (rep.size() != 1)
      throw model_error("tokenizer", file + ": Metaspace replacement must be one character",
                        "re-save the tokenizer with transformers");
    return std::make_unique<Metaspace>(rep[0], scheme, j.value("split", true));
  }
  if (type == "Whitespace")
    return std::make_unique<RegexSplit>(R"([\p{L}\p{M}\p{N}\p{Pc}]+|[^\p{L}\p{M}\p{N}\p{Pc}\s]+)",
                                        Behavior::kRemoved, true, file + " (Whitespace)");
  if (type == "WhitespaceSplit") return char_split(rust_is_whitespace, Behavior::kRemoved);
  if (type == "BertPreTokenizer") return std::make_unique<BertPre>();
  if (type == "Punctuation") return char_split(is_punctuation_char, behavior("Isolated"));
  if (type == "Digits") {
    return char_split(rust_is_numeric, j.value("individual_digits", false) ? Behavior::kIsolated
                                                                           : Behavior::kContiguous);
  }
  if (type == "CharDelimiterSplit") {
    std::u32string d = decode_utf8(j.at("delimiter").get<std::string>());
    return std::make_unique<LiteralSplit>(d, Behavior::kRemoved, false);
  }
  if (type == "Split") {
    const auto& pat = j.at("pattern");
    const bool invert = j.value("invert", false);
    if (pat.contains("Regex"))
      return std::make_unique<RegexSplit>(pat["Regex"].get<std::string>(), behavior("Isolated"),
                                          invert, file + " (Split pre-tokenizer)");
    return std::make_unique<LiteralSplit>(decode_utf8(pat.at("String").get<std::string>()),
                                          behavior("Isolated"), invert);
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (const auto& p : j.at("pretokenizers"))
      if (auto x = make_pre_tokenizer(p, file)) parts.push_back(std::move(x));
    return std::make_unique<Sequence>(std::move(parts));
  }
  throw model_error("tokenizer", file + ": pre-tokenizer type '" + type + "' is not supported",
                    "Berth reads the pre-tokenizers of BERT, RoBERTa, XLM-R, DeBERTa-v3, ELECTRA "
                    "and ModernBERT tokenizers (docs/tokenizer.md lists them)");
}

}  // namespace berth::data
