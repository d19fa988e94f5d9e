#include "data/normalizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.h"
#include "data/precompiled_charsmap.h"
#include "data/rust_chars.h"
#include "data/unicode_regex.h"
#include "data/utf8.h"

namespace berth::data {

namespace {

enum class NormalizerType {
  kNfc,
  kNfd,
  kNfkc,
  kNfkd,
  kLowercase,
  kStripAccents,
  kStrip,
  kReplace,
  kPrepend,
  kNmt,
  kPrecompiled,
  kByteLevel,
  kSequence
};

NormalizerType parse_type(const std::string& t, const std::string& file) {
  static const std::pair<const char*, NormalizerType> kNames[] = {
      {"NFC", NormalizerType::kNfc},
      {"NFD", NormalizerType::kNfd},
      {"NFKC", NormalizerType::kNfkc},
      {"NFKD", NormalizerType::kNfkd},
      {"Lowercase", NormalizerType::kLowercase},
      {"StripAccents", NormalizerType::kStripAccents},
      {"Strip", NormalizerType::kStrip},
      {"Replace", NormalizerType::kReplace},
      {"Prepend", NormalizerType::kPrepend},
      {"Nmt", NormalizerType::kNmt},
      {"Precompiled", NormalizerType::kPrecompiled},
      {"ByteLevel", NormalizerType::kByteLevel},
      {"Sequence", NormalizerType::kSequence},
  };
  for (auto& [name, type] : kNames)
    if (t == name) return type;
  throw model_error("tokenizer", file + ": normalizer type '" + t + "' is not supported",
                    "Berth reads the normalizers of BERT, RoBERTa, XLM-R, DeBERTa-v3, ELECTRA and "
                    "ModernBERT tokenizers (docs/tokenizer.md lists them)");
}

class UnicodeForm : public Normalizer {
 public:
  explicit UnicodeForm(int options) : options_(options) {}
  void normalize(std::u32string& s) const override {
    if (s.empty()) return;
    std::string u = encode_utf8(s);
    utf8proc_uint8_t* out = nullptr;
    auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(u.data()),
                          static_cast<utf8proc_ssize_t>(u.size()), &out,
                          static_cast<utf8proc_option_t>(options_ | UTF8PROC_STABLE));
    if (n < 0) return;  // cannot happen on valid UTF-8
    decode_utf8(std::string_view(reinterpret_cast<char*>(out), static_cast<size_t>(n)), s);
    std::free(out);
  }

 private:
  int options_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(std::u32string& s) const override {
    std::u32string out;
    out.reserve(s.size());
    for (char32_t c : s) rust_lowercase(c, out);
    s.swap(out);
  }
};

class StripAccents : public Normalizer {
 public:
  void normalize(std::u32string& s) const override {
    s.erase(std::remove_if(s.begin(), s.end(), [](char32_t c) { return c >= 0x300 && is_mark(c); }),
            s.end());
  }
};

class Strip : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::u32string& s) const override {
    size_t b = 0, e = s.size();
    if (left_)
      while (b < e && rust_is_whitespace(s[b])) ++b;
    if (right_)
      while (e > b && rust_is_whitespace(s[e - 1])) --e;
    s = s.substr(b, e - b);
  }

 private:
  bool left_, right_;
};

class Replace : public Normalizer {
 public:
  Replace(const nlohmann::json& pattern, const std::string& content, const std::string& file)
      : content_(decode_utf8(content)) {
    if (pattern.contains("Regex")) {
      regex_ = std::make_unique<UnicodeRegex>(pattern["Regex"].get<std::string>(),
                                              file + " (Replace normalizer)");
    } else {
      literal_ = decode_utf8(pattern.at("String").get<std::string>());
    }
  }
  void normalize(std::u32string& s) const override {
    std::vector<std::pair<size_t, size_t>> m;
    if (regex_) {
      m = regex_->find_all(s);
    } else if (!literal_.empty()) {
      for (size_t at = s.find(literal_); at != std::u32string::npos;
           at = s.find(literal_, at + literal_.size()))
        m.emplace_back(at, at + literal_.size());
    }
    if (m.empty()) return;
    std::u32string out;
    size_t prev = 0;
    for (auto [b, e] : m) {
      out.append(s, prev, b - prev);
      out += content_;
      prev = e;
    }
    out.append(s, prev);
    s.swap(out);
  }

 private:
  std::u32string content_, literal_;
  std::unique_ptr<UnicodeRegex> regex_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(const std::string& p) : prepend_(decode_utf8(p)) {}
  void normalize(std::u32string& s) const override {
    if (!s.empty()) s.insert(0, prepend_);
  }

 private:
  std::u32string prepend_;
};

// sentencepiece's nmt_nfkc control-character and whitespace rules (without the NFKC).
class Nmt : public Normalizer {
 public:
  void normalize(std::u32string& s) const override {
    std::u32string out;
    out.reserve(s.size());
    for (char32_t c : s) {
      if ((c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) || c == 0x7F || c == 0x8F ||
          c == 0x9F)
        continue;
      if (c == 0x9 || c == 0xA || c == 0xC || c == 0xD || c == 0x1680 ||
          (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x2581 ||
          c == 0xFEFF || c == 0xFFFD)
        c = ' ';
      out.push_back(c);
    }
    s.swap(out);
  }
};

class Precompiled : public Normalizer {
 public:
  explicit Precompiled(PrecompiledCharsmap map) : map_(std::move(map)) {}
  void normalize(std::u32string& s) const override { map_.normalize(s); }

 private:
  PrecompiledCharsmap map_;
};

// GPT-2's byte-to-character table (also the ByteLevel pre-tokenizer's).
class ByteLevelNormalizer : public Normalizer {
 public:
  void normalize(std::u32string& s) const override;
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(std::u32string& s) const override {
    for (const auto& p : parts_) p->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

char32_t byte_level_char(unsigned char b);  // pre_tokenizer.cpp

void ByteLevelNormalizer::normalize(std::u32string& s) const {
  std::string u = encode_utf8(s);
  s.clear();
  for (unsigned char b : u) s.push_back(byte_level_char(b));
}

std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const std::string& file) {
  if (j.is_null()) return nullptr;
  const std::string type = j.value("type", "");
  switch (parse_type(type, file)) {
    case NormalizerType::kNfc:
      return std::make_unique<UnicodeForm>(UTF8PROC_COMPOSE);
    case NormalizerType::kNfd:
      return std::make_unique<UnicodeForm>(UTF8PROC_DECOMPOSE);
    case NormalizerType::kNfkc:
      return std::make_unique<UnicodeForm>(UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    case NormalizerType::kNfkd:
      return std::make_unique<UnicodeForm>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
    case NormalizerType::kLowercase:
      return std::make_unique<Lowercase>();
    case NormalizerType::kStripAccents:
      return std::make_unique<StripAccents>();
    case NormalizerType::kStrip:
      return std::make_unique<Strip>(j.value("strip_left", true), j.value("strip_right", true));
    case NormalizerType::kReplace:
      return std::make_unique<Replace>(j.at("pattern"), j.at("content").get<std::string>(), file);
    case NormalizerType::kPrepend:
      return std::make_unique<Prepend>(j.at("prepend").get<std::string>());
    case NormalizerType::kNmt:
      return std::make_unique<Nmt>();
    case NormalizerType::kPrecompiled: {
      const auto& m = j.at("precompiled_charsmap");
      if (m.is_null() || m.get<std::string>().empty()) return nullptr;  // identity
      return std::make_unique<Precompiled>(
          PrecompiledCharsmap(decode_base64(m.get<std::string>(), file), file));
    }
    case NormalizerType::kByteLevel:
      return std::make_unique<ByteLevelNormalizer>();
    case NormalizerType::kSequence: {
      std::vector<std::unique_ptr<Normalizer>> parts;
      for (const auto& n : j.at("normalizers"))
        if (auto p = make_normalizer(n, file)) parts.push_back(std::move(p));
      return std::make_unique<Sequence>(std::move(parts));
    }
  }
  return nullptr;
}

}  // namespace berth::data
