// BERT WordPiece tokenizer matching Hugging Face's BertTokenizerFast (the Rust `tokenizers` crate).
//
// Pipeline, as the crate runs it:
//   1. decode UTF-8 (each maximal invalid subsequence -> U+FFFD, like Python errors="replace");
//   2. added tokens with normalized=false ("[CLS]", "[MASK]", ...) are matched in the raw text,
//      leftmost-longest, and map straight to their ids;
//   3. the other segments go through BertNormalizer: clean_text, handle_chinese_chars,
//      strip_accents (NFD, drop Mn), lowercase (Rust char::to_lowercase), in that order;
//      added tokens with normalized=true are then matched in the normalized text;
//   4. BertPreTokenizer: split on Rust char::is_whitespace, isolate punctuation;
//   5. WordPiece, greedy longest-match-first;
//   6. truncation (longest_first for pairs) and the [CLS] A [SEP] (B [SEP]) template.
// Character classes come from utf8proc, corrected by data/unicode_overrides.h where the crate's
// (older or newer) Unicode tables disagree (see scripts/gen_unicode_tables.py).
#include "data/tokenizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "common/error.h"
#include "common/log.h"
#include "data/post_processor.h"
#include "data/tokenizer_pipeline.h"
#include "data/unicode_overrides.h"
#include "data/utf8.h"

namespace berth::data {

namespace {

namespace fs = std::filesystem;
namespace uo = unicode_overrides;
using Cps = std::u32string;

constexpr const char* kComponent = "tokenizer";

// ---- character classes
// ---------------------------------------------------------------------------

template <size_t N>
bool in_ranges(const uo::Range (&r)[N], char32_t c) {
  auto it = std::upper_bound(std::begin(r), std::end(r), static_cast<int32_t>(c),
                             [](int32_t v, const uo::Range& x) { return v < x.lo; });
  return it != std::begin(r) && static_cast<int32_t>(c) <= (it - 1)->hi;
}

template <size_t N>
const char* find_mapping(const uo::Mapping (&m)[N], char32_t c) {
  auto it = std::lower_bound(std::begin(m), std::end(m), static_cast<int32_t>(c),
                             [](const uo::Mapping& x, int32_t v) { return x.cp < v; });
  return it != std::end(m) && it->cp == static_cast<int32_t>(c) ? it->utf8 : nullptr;
}

int category(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

// Rust's char::is_whitespace (the Unicode White_Space property, unchanged since Unicode 6.3).
bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// clean_text drops: NUL, U+FFFD and the crate's "other" chars (Cc, Cf, Co, Cs; not Cn) but \t\n\r.
bool is_removed(char32_t c) {
  if (c < 0x80) return c == 0 || c == 0x7F || (c < 0x20 && c != '\t' && c != '\n' && c != '\r');
  if (c == 0xFFFD) return true;
  int cat = category(c);
  bool other = cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
               cat == UTF8PROC_CATEGORY_CS || cat == UTF8PROC_CATEGORY_CO;
  if (other) return !in_ranges(uo::kRemovedDel, c);
  return in_ranges(uo::kRemovedAdd, c);
}

// The ideograph blocks BERT pads with spaces (the crate's fixed list).
bool is_chinese(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_punct(char32_t c) {
  if (c < 0x80) {
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
  }
  int cat = category(c);
  if (cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO)
    return !in_ranges(uo::kPunctDel, c);
  return in_ranges(uo::kPunctAdd, c);
}

// ---- settings files
// ------------------------------------------------------------------------------

nlohmann::json read_json(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    throw model_error(kComponent, "cannot read " + p.string(), "check the file's permissions");
  }
  try {
    return nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    throw model_error(kComponent, "bad JSON in " + p.string() + ": " + e.what(),
                      "the file must be a Hugging Face tokenizer file; re-download the model");
  }
}

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

struct AddedToken {
  Cps text;
  int32_t id;
};

// Leftmost-longest matching of a small set of literal tokens (the crate uses Aho-Corasick with
// the same semantics).
struct TokenMatcher {
  std::vector<AddedToken> tokens;
  std::vector<char32_t> first_chars;  // sorted, unique

  void finish() {
    first_chars.clear();
    for (auto& t : tokens) first_chars.push_back(t.text[0]);
    std::sort(first_chars.begin(), first_chars.end());
    first_chars.erase(std::unique(first_chars.begin(), first_chars.end()), first_chars.end());
  }
  bool empty() const { return tokens.empty(); }
  // Finds the first match at or after `from`; returns false if none.
  bool find(const char32_t* s, size_t n, size_t from, size_t& at, size_t& len, int32_t& id) const {
    for (size_t i = from; i < n; ++i) {
      if (!std::binary_search(first_chars.begin(), first_chars.end(), s[i])) continue;
      size_t best = 0;
      for (auto& t : tokens) {
        size_t m = t.text.size();
        if (m > best && m <= n - i && std::equal(t.text.begin(), t.text.end(), s + i)) {
          best = m;
          id = t.id;
        }
      }
      if (best) {
        at = i, len = best;
        return true;
      }
    }
    return false;
  }
};

struct Scratch {
  Cps raw, a, b;
  std::vector<uint8_t> ccc, keep;
  std::string word;
  std::vector<uint32_t> bounds;
};

}  // namespace

// ---- implementation
// ------------------------------------------------------------------------------

struct Tokenizer::Impl {
  std::vector<std::string> vocab;
  TokenizerSettings s;
  std::unordered_map<std::string_view, int32_t> first;  // whole-word-start pieces
  std::unordered_map<std::string_view, int32_t> cont;   // continuation pieces, prefix removed
  size_t max_first_len = 0, max_cont_len = 0;
  int32_t unk = -1, cls = -1, sep = -1, pad = -1;
  TokenMatcher raw_tokens, norm_tokens;
  // Families other than BERT's: the tokenizer.json pipeline; null on the BERT path.
  std::unique_ptr<TokenizerPipeline> pipeline;
  std::string pipeline_hash;  // of tokenizer.json's bytes
  PostProcessor post;

  void build(std::vector<std::string> v, TokenizerSettings st) {
    vocab = std::move(v);
    s = std::move(st);
    first.reserve(vocab.size() * 2);
    cont.reserve(vocab.size());
    const std::string& pre = s.continuing_subword_prefix;
    // HF's vocab.txt reader assigns ids by line, a repeated token keeps its last id.
    for (size_t i = 0; i < vocab.size(); ++i) {
      std::string_view t = vocab[i];
      first[t] = static_cast<int32_t>(i);
      max_first_len = std::max(max_first_len, t.size());
      if (t.size() >= pre.size() && t.compare(0, pre.size(), pre) == 0) {
        std::string_view rest = t.substr(pre.size());
        cont[rest] = static_cast<int32_t>(i);
        max_cont_len = std::max(max_cont_len, rest.size());
      }
    }
    auto need = [&](const std::string& tok, const char* what) {
      auto it = first.find(tok);
      if (it == first.end()) {
        throw model_error(
            kComponent,
            std::string("the ") + what + " token '" + tok + "' is not in the vocabulary",
            "the vocabulary (vocab.txt) does not belong to a BERT tokenizer");
      }
      return it->second;
    };
    unk = need(s.unk_token, "unknown");
    cls = need(s.cls_token, "classifier");
    sep = need(s.sep_token, "separator");
    pad = first.count(s.pad_token) ? first[s.pad_token] : 0;
  }

  void add_token(const std::string& content, int32_t id, bool normalized) {
    if (content.empty()) return;
    (normalized ? norm_tokens : raw_tokens).tokens.push_back({decode_utf8(content), id});
  }

  // BertNormalizer on in[0..n) -> out.
  void normalize(const char32_t* in, size_t n, Scratch& sc, Cps& out) const {
    Cps& a = out;
    a.clear();
    bool ascii = true;
    for (size_t i = 0; i < n; ++i) {
      char32_t c = in[i];
      if (s.clean_text) {
        if (is_removed(c)) continue;
        if (is_whitespace(c)) c = ' ';
      }
      if (c >= 0x80) {
        ascii = false;
        if (s.handle_chinese_chars && is_chinese(c)) {
          a.push_back(' ');
          a.push_back(c);
          a.push_back(' ');
          continue;
        }
      }
      a.push_back(c);
    }
    if (ascii) {
      if (s.lowercase) {
        for (auto& c : a) c = (c >= 'A' && c <= 'Z') ? c + 32 : c;
      }
      return;
    }
    if (s.strip_accents) strip_accents(a, sc);
    if (s.lowercase) lowercase(a, sc);
  }

  // NFD (utf8proc decomposition + canonical ordering), then drop nonspacing marks.
  static void strip_accents(Cps& a, Scratch& sc) {
    Cps& b = sc.b;
    b.clear();
    sc.ccc.clear();
    sc.keep.clear();
    auto push = [&](char32_t c, uint8_t ccc, bool keep) {
      b.push_back(c);
      sc.ccc.push_back(ccc);
      sc.keep.push_back(keep);
    };
    for (char32_t c : a) {
      if (c < 0x80) {
        push(c, 0, true);
        continue;
      }
      if (in_ranges(uo::kStripKeep, c)) {
        push(c, 0, true);
        continue;
      }
      if (const char* m = find_mapping(uo::kStripMap, c)) {
        for (char32_t d : decode_utf8(m)) push(d, 0, true);
        continue;
      }
      utf8proc_int32_t buf[32];
      int boundclass = 0;
      auto k = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32,
                                       UTF8PROC_DECOMPOSE, &boundclass);
      if (k < 0 || k > 32) {
        push(c, 0, true);
        continue;
      }
      for (int j = 0; j < k; ++j) {
        const auto* prop = utf8proc_get_property(buf[j]);
        push(static_cast<char32_t>(buf[j]), static_cast<uint8_t>(prop->combining_class),
             prop->category != UTF8PROC_CATEGORY_MN);
      }
    }
    // Canonical ordering: stable sort each run of non-starters by combining class.
    size_t n = b.size();
    for (size_t i = 0; i < n;) {
      if (sc.ccc[i] == 0) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < n && sc.ccc[j] != 0) ++j;
      if (j - i > 1) {
        // insertion sort (runs are tiny); stable
        for (size_t x = i + 1; x < j; ++x) {
          for (size_t y = x; y > i && sc.ccc[y - 1] > sc.ccc[y]; --y) {
            std::swap(b[y - 1], b[y]);
            std::swap(sc.ccc[y - 1], sc.ccc[y]);
            std::swap(sc.keep[y - 1], sc.keep[y]);
          }
        }
      }
      i = j;
    }
    a.clear();
    for (size_t i = 0; i < n; ++i)
      if (sc.keep[i]) a.push_back(b[i]);
  }

  // Rust's char::to_lowercase, char by char (no final-sigma rule).
  static void lowercase(Cps& a, Scratch& sc) {
    Cps& b = sc.b;
    b.clear();
    for (char32_t c : a) {
      if (c < 0x80) {
        b.push_back((c >= 'A' && c <= 'Z') ? c + 32 : c);
      } else if (const char* m = find_mapping(uo::kLowerMap, c)) {
        for (char32_t d : decode_utf8(m)) b.push_back(d);
      } else if (c == 0x130) {
        b.push_back('i');
        b.push_back(0x307);
      } else {
        b.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
      }
    }
    a.swap(b);
  }

  // WordPiece on one pre-token.
  void wordpiece(const char32_t* w, size_t n, Scratch& sc, std::vector<int32_t>& out) const {
    if (n > static_cast<size_t>(s.max_input_chars_per_word)) {
      out.push_back(unk);
      return;
    }
    std::string& word = sc.word;
    auto& bounds = sc.bounds;  // byte offset of each char start, plus the end
    word.clear();
    bounds.clear();
    for (size_t i = 0; i < n; ++i) {
      bounds.push_back(static_cast<uint32_t>(word.size()));
      append_utf8(word, w[i]);
    }
    bounds.push_back(static_cast<uint32_t>(word.size()));
    size_t mark = out.size();
    size_t start = 0;  // char index
    while (start < n) {
      const auto& map = start == 0 ? first : cont;
      size_t max_len = start == 0 ? max_first_len : max_cont_len;
      size_t end = n;
      int32_t found = -1;
      for (; end > start; --end) {
        size_t len = bounds[end] - bounds[start];
        if (len > max_len) continue;
        auto it = map.find(std::string_view(word.data() + bounds[start], len));
        if (it != map.end()) {
          found = it->second;
          break;
        }
      }
      if (found < 0) {
        out.resize(mark);
        out.push_back(unk);
        return;
      }
      out.push_back(found);
      start = end;
    }
  }

  // BertPreTokenizer + WordPiece on a normalized segment.
  void pretokenize(const char32_t* a, size_t n, Scratch& sc, std::vector<int32_t>& out) const {
    size_t start = 0;
    for (size_t i = 0; i < n; ++i) {
      char32_t c = a[i];
      if (is_whitespace(c)) {
        if (i > start) wordpiece(a + start, i - start, sc, out);
        start = i + 1;
      } else if (is_punct(c)) {
        if (i > start) wordpiece(a + start, i - start, sc, out);
        wordpiece(a + i, 1, sc, out);
        start = i + 1;
      }
    }
    if (n > start) wordpiece(a + start, n - start, sc, out);
  }

  void segment(const char32_t* in, size_t n, Scratch& sc, std::vector<int32_t>& out) const {
    if (n == 0) return;
    normalize(in, n, sc, sc.a);
    const Cps& a = sc.a;
    if (norm_tokens.empty()) {
      pretokenize(a.data(), a.size(), sc, out);
      return;
    }
    Cps norm(a);  // rare path: models with normalized added tokens
    size_t pos = 0, at, len;
    int32_t id;
    while (norm_tokens.find(norm.data(), norm.size(), pos, at, len, id)) {
      pretokenize(norm.data() + pos, at - pos, sc, out);
      out.push_back(id);
      pos = at + len;
    }
    pretokenize(norm.data() + pos, norm.size() - pos, sc, out);
  }

  void tokenize(std::string_view text, std::vector<int32_t>& out) const {
    if (pipeline) {
      pipeline->tokenize(text, out);
      return;
    }
    thread_local Scratch sc;
    decode_utf8(text, sc.raw);
    Cps raw;
    raw.swap(sc.raw);  // segment() reuses the other buffers
    size_t pos = 0, at, len;
    int32_t id;
    if (!raw_tokens.empty()) {
      while (raw_tokens.find(raw.data(), raw.size(), pos, at, len, id)) {
        segment(raw.data() + pos, at - pos, sc, out);
        out.push_back(id);
        pos = at + len;
      }
    }
    segment(raw.data() + pos, raw.size() - pos, sc, out);
    raw.swap(sc.raw);
  }
};

Tokenizer::Tokenizer(std::vector<std::string> vocab, TokenizerSettings settings)
    : impl_(std::make_unique<Impl>()) {
  // The override table lists differences from one utf8proc version; another may need others.
  static const bool version_checked = [] {
    if (std::strcmp(utf8proc_version(), uo::kUtf8procVersion) != 0) {
      log::get(kComponent)
          ->warn(
              "utf8proc {} is linked but data/unicode_overrides.h was generated against {}: rare "
              "characters may tokenize unlike Hugging Face; rerun scripts/gen_unicode_tables.py",
              utf8proc_version(), uo::kUtf8procVersion);
    }
    return true;
  }();
  (void)version_checked;
  impl_->build(std::move(vocab), std::move(settings));
  // Without tokenizer.json, HF registers the special tokens as unnormalized added tokens.
  for (const std::string* t :
       {&impl_->s.pad_token, &impl_->s.unk_token, &impl_->s.cls_token, &impl_->s.sep_token}) {
    auto it = impl_->first.find(*t);
    if (it != impl_->first.end()) impl_->add_token(*t, it->second, false);
  }
  auto it = impl_->first.find("[MASK]");
  if (it != impl_->first.end()) impl_->add_token("[MASK]", it->second, false);
  impl_->raw_tokens.finish();
  impl_->norm_tokens.finish();
  impl_->post = PostProcessor::bert(impl_->cls, impl_->sep);
}

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

namespace {

// Whether tokenizer.json describes BERT's pipeline, which the tuned path above runs (with
// tokenizer_config.json's overrides, as BertTokenizerFast does); anything else goes through
// TokenizerPipeline.
bool is_bert_pipeline(const nlohmann::json& j) {
  auto type = [&](const char* key, const char* def) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? std::string(def) : it->value("type", std::string());
  };
  const std::string post = type("post_processor", "TemplateProcessing");
  return type("model", "WordPiece") == "WordPiece" &&
         type("normalizer", "BertNormalizer") == "BertNormalizer" &&
         type("pre_tokenizer", "BertPreTokenizer") == "BertPreTokenizer" &&
         (post == "TemplateProcessing" || post == "BertProcessing");
}

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f)
    throw model_error(kComponent, "cannot read " + p.string(), "check the file's permissions");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

Tokenizer Tokenizer::from_pipeline(const nlohmann::json& tok_json, const std::string& file,
                                   const std::string& bytes, TokenizerSettings st) {
  Tokenizer t;
  Impl& im = *t.impl_;
  im.pipeline = std::make_unique<TokenizerPipeline>(tok_json, file);
  im.post = PostProcessor::from_json(tok_json.value("post_processor", nlohmann::json()), file);
  im.vocab = im.pipeline->vocab();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(fnv1a(1469598103934665603ULL, bytes)));
  im.pipeline_hash = buf;
  st.lowercase = im.pipeline->lowercases();
  st.strip_accents = st.clean_text = st.handle_chinese_chars = false;
  im.unk = im.pipeline->unk_id();
  if (im.unk < 0) im.unk = im.pipeline->id_of(st.unk_token);
  im.cls = im.post.first_special();
  if (im.cls < 0) im.cls = im.pipeline->id_of(st.cls_token);
  im.sep = im.post.last_special();
  if (im.sep < 0) im.sep = im.pipeline->id_of(st.sep_token);
  im.pad = im.pipeline->id_of(st.pad_token);
  if (im.pad < 0) im.pad = 0;  // as the BERT path: padding is masked out anyway
  im.s = std::move(st);
  return t;
}

Tokenizer Tokenizer::from_directory(const std::string& dir) {
  const fs::path d(dir);
  if (!fs::is_directory(d)) {
    throw model_error(kComponent, "model directory " + dir + " does not exist",
                      "pass a Hugging Face model directory (with vocab.txt) via --model");
  }
  TokenizerSettings st;
  const fs::path tj = d / "tokenizer.json", tc = d / "tokenizer_config.json", vt = d / "vocab.txt";
  nlohmann::json tok_json, cfg_json;
  std::string tok_bytes;
  if (fs::exists(tj)) {
    tok_bytes = read_bytes(tj);
    try {
      tok_json = nlohmann::json::parse(tok_bytes);
    } catch (const std::exception& e) {
      throw model_error(kComponent, "bad JSON in " + tj.string() + ": " + e.what(),
                        "the file must be a Hugging Face tokenizer file; re-download the model");
    }
  }
  if (fs::exists(tc)) cfg_json = read_json(tc);

  std::vector<std::pair<std::string, std::pair<int32_t, bool>>> added;  // content -> id, normalized
  try {
    if (cfg_json.is_object()) {
      auto str = [&](const char* key, std::string& v) {
        auto it = cfg_json.find(key);
        if (it == cfg_json.end() || it->is_null()) return;
        if (it->is_string())
          v = it->get<std::string>();
        else if (it->is_object() && it->contains("content"))
          v = (*it)["content"].get<std::string>();
      };
      str("unk_token", st.unk_token);
      str("cls_token", st.cls_token);
      str("sep_token", st.sep_token);
      str("pad_token", st.pad_token);
    }
    if (tok_json.is_object() && !is_bert_pipeline(tok_json))
      return from_pipeline(tok_json, tj.string(), tok_bytes, st);
    if (tok_json.is_object()) {
      const auto& norm = tok_json.value("normalizer", nlohmann::json());
      if (!norm.is_null()) {
        if (norm.value("type", "") != "BertNormalizer") {
          throw model_error(
              kComponent,
              tj.string() + ": normalizer type '" + norm.value("type", "") + "' is not supported",
              "Berth supports BERT WordPiece tokenizers (BertNormalizer)");
        }
        st.clean_text = norm.value("clean_text", true);
        st.handle_chinese_chars = norm.value("handle_chinese_chars", true);
        st.lowercase = norm.value("lowercase", true);
        auto sa = norm.find("strip_accents");
        st.strip_accents = (sa == norm.end() || sa->is_null()) ? st.lowercase : sa->get<bool>();
      }
      const auto& model = tok_json.at("model");
      if (model.value("type", "WordPiece") != "WordPiece") {
        throw model_error(
            kComponent,
            tj.string() + ": model type '" + model.value("type", "") + "' is not supported",
            "Berth supports BERT WordPiece tokenizers");
      }
      st.unk_token = model.value("unk_token", st.unk_token);
      st.continuing_subword_prefix =
          model.value("continuing_subword_prefix", st.continuing_subword_prefix);
      st.max_input_chars_per_word =
          model.value("max_input_chars_per_word", st.max_input_chars_per_word);
      for (const auto& t : tok_json.value("added_tokens", nlohmann::json::array())) {
        added.push_back({t.at("content").get<std::string>(),
                         {t.at("id").get<int32_t>(), t.value("normalized", false)}});
      }
    }
    // BertTokenizerFast.__init__ rebuilds the normalizer from tokenizer_config.json's
    // do_lower_case / strip_accents / tokenize_chinese_chars (defaults true / null / true) whenever
    // they differ from tokenizer.json's, so these three always follow the config (or defaults).
    bool lower = true, chinese = true;
    nlohmann::json strip;  // null
    if (cfg_json.is_object()) {
      if (cfg_json.contains("do_lower_case") && !cfg_json["do_lower_case"].is_null())
        lower = cfg_json["do_lower_case"].get<bool>();
      if (cfg_json.contains("tokenize_chinese_chars") &&
          !cfg_json["tokenize_chinese_chars"].is_null())
        chinese = cfg_json["tokenize_chinese_chars"].get<bool>();
      if (cfg_json.contains("strip_accents")) strip = cfg_json["strip_accents"];
    }
    st.lowercase = lower;
    st.handle_chinese_chars = chinese;
    st.strip_accents = strip.is_null() ? lower : strip.get<bool>();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw model_error(kComponent, "bad tokenizer settings in " + dir + ": " + e.what(),
                      "check tokenizer.json / tokenizer_config.json");
  }

  std::vector<std::string> vocab;
  if (fs::exists(vt)) {
    std::ifstream f(vt, std::ios::binary);
    if (!f) throw model_error(kComponent, "cannot read " + vt.string(), "check permissions");
    std::string line;
    while (std::getline(f, line)) vocab.push_back(line);  // split on '\n' only, like HF
  } else if (tok_json.is_object() && tok_json["model"].contains("vocab")) {
    const auto& v = tok_json["model"]["vocab"];
    for (auto it = v.begin(); it != v.end(); ++it) {
      auto id = it.value().get<int64_t>();
      if (id < 0 || id > 10'000'000) throw model_error(kComponent, tj.string() + ": bad vocab id");
      if (vocab.size() <= static_cast<size_t>(id)) vocab.resize(id + 1);
      vocab[id] = it.key();
    }
  } else {
    throw model_error(kComponent, "no vocabulary: " + vt.string() + " is missing",
                      "the model directory needs vocab.txt (or tokenizer.json with a WordPiece "
                      "vocab); download the full Hugging Face model");
  }
  if (vocab.empty()) {
    throw model_error(kComponent, "the vocabulary " + vt.string() + " is empty",
                      "re-download the model's vocab.txt");
  }

  Tokenizer t(std::move(vocab), st);
  if (!added.empty()) {
    t.impl_->raw_tokens.tokens.clear();
    for (auto& [content, v] : added) {
      if (v.first < 0 || v.first >= t.vocab_size()) continue;  // id outside vocab.txt
      t.impl_->add_token(content, v.first, v.second);
    }
    t.impl_->raw_tokens.finish();
    t.impl_->norm_tokens.finish();
  }
  if (tok_json.is_object() && tok_json.contains("post_processor") &&
      !tok_json["post_processor"].is_null())
    t.impl_->post = PostProcessor::from_json(tok_json["post_processor"], tj.string());
  return t;
}

std::vector<int32_t> Tokenizer::tokenize_to_ids(std::string_view text) const {
  std::vector<int32_t> out;
  impl_->tokenize(text, out);
  return out;
}

int Tokenizer::special_token_count(bool pair) const {
  return impl_->post.special_count(pair);
}

Encoding Tokenizer::with_special_tokens(const std::vector<int32_t>& pieces) const {
  return impl_->post.assemble(pieces, nullptr);
}

Encoding Tokenizer::encode(std::string_view text, int max_length) const {
  const int k = impl_->post.special_count(false);
  if (max_length < std::max(k, 1)) {
    throw usage_error(kComponent,
                      "max length " + std::to_string(max_length) + " is too small: the " +
                          std::to_string(k) + " special tokens alone take " + std::to_string(k) +
                          " tokens",
                      "use a max length of at least " + std::to_string(std::max(k, 1)) +
                          " (typically 128 or 512)");
  }
  std::vector<int32_t> ids;
  impl_->tokenize(text, ids);
  if (ids.size() > static_cast<size_t>(max_length - k)) ids.resize(max_length - k);
  return impl_->post.assemble(ids, nullptr);
}

Encoding Tokenizer::encode_pair(std::string_view a, std::string_view b, int max_length) const {
  // transformers treats an empty second text as "no pair" (it tests `if text_pair`).
  if (b.empty()) return encode(a, max_length);
  const int k = impl_->post.special_count(true);
  if (max_length < std::max(k, 1)) {
    throw usage_error(kComponent,
                      "max length " + std::to_string(max_length) +
                          " is too small for a pair: the template needs " + std::to_string(k) +
                          " special tokens",
                      "use a max length of at least " + std::to_string(std::max(k, 1)) +
                          " (typically 128 or 512)");
  }
  std::vector<int32_t> ta, tb;
  impl_->tokenize(a, ta);
  impl_->tokenize(b, tb);
  // longest_first, as the Rust crate computes it.
  size_t m = static_cast<size_t>(max_length - k);
  if (ta.size() + tb.size() > m) {
    size_t n1 = ta.size(), n2 = tb.size();
    bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    n2 = n1 > m ? n1 : std::max(n1, m - n1);
    if (n1 + n2 > m) {
      n1 = m / 2;
      n2 = n1 + m % 2;
    }
    if (swap) std::swap(n1, n2);
    ta.resize(std::min(ta.size(), n1));
    tb.resize(std::min(tb.size(), n2));
  }
  return impl_->post.assemble(ta, &tb);
}

const TokenizerSettings& Tokenizer::settings() const {
  return impl_->s;
}
int Tokenizer::vocab_size() const {
  return static_cast<int>(impl_->vocab.size());
}
int32_t Tokenizer::pad_id() const {
  return impl_->pad;
}
int32_t Tokenizer::cls_id() const {
  return impl_->cls;
}
int32_t Tokenizer::sep_id() const {
  return impl_->sep;
}
int32_t Tokenizer::unk_id() const {
  return impl_->unk;
}

const std::string& Tokenizer::token(int32_t id) const {
  if (id < 0 || id >= vocab_size()) {
    throw usage_error(kComponent, "token id " + std::to_string(id) + " is outside the vocabulary",
                      "the ids do not come from this tokenizer");
  }
  return impl_->vocab[id];
}

std::string Tokenizer::fingerprint() const {
  if (impl_->pipeline) {
    // tokenizer.json decides everything but the pad token, which tokenizer_config.json names.
    const auto& s = impl_->s;
    uint64_t h = fnv1a(1469598103934665603ULL, "pipeline|" + impl_->pipeline_hash + "|" +
                                                   s.pad_token + "|" + std::to_string(impl_->pad));
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
  }
  uint64_t h = 1469598103934665603ULL;
  for (const auto& t : impl_->vocab) {
    h = fnv1a(h, t);
    h = fnv1a(h, std::string_view("\n", 1));
  }
  const auto& s = impl_->s;
  std::ostringstream cfg;
  cfg << s.lowercase << s.strip_accents << s.clean_text << s.handle_chinese_chars << '|'
      << s.max_input_chars_per_word << '|' << s.continuing_subword_prefix << '|' << s.unk_token
      << '|' << s.cls_token << '|' << s.sep_token << '|' << s.pad_token;
  for (const auto* m : {&impl_->raw_tokens, &impl_->norm_tokens}) {
    cfg << '#';
    for (const auto& t : m->tokens) {
      std::string u;
      for (char32_t c : t.text) append_utf8(u, c);
      cfg << u << '=' << t.id << ';';
    }
  }
  h = fnv1a(h, cfg.str());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace berth::data
