// Parity of berth::data::Tokenizer with Hugging Face's BertTokenizerFast (tests/python/
// tokenize_oracle.py): the benchmark corpora, an adversarial set, every Unicode code point,
// truncation of single texts and pairs, `berth tokenize` end to end, and the error cases.
// Every expected value comes from the Python oracle; nothing is written down by hand.
#include "data/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Ids = std::vector<int32_t>;

const Tokenizer& tok() {
  static Tokenizer t = Tokenizer::from_directory(test::default_model().string());
  return t;
}

std::string q(const std::string& s) {
  return "'" + s + "'";
}

// Runs the oracle on `input` (JSON) and parses its JSON answer.
// `max_length` may be a comma list ("2,3,16"): the answer is then one result per max length.
json oracle(const std::string& mode, const std::string& max_length, const json& input,
            const fs::path& model = test::default_model(), const std::string& extra = {}) {
  auto r = test::run_python(
      "tokenize_oracle.py " + q(model.string()) + " " + max_length + " " + mode + extra,
      input.is_null() ? std::string() : input.dump());
  if (r.exit_code != 0) return json();
  return json::parse(r.out);
}

void append_utf8(std::string& s, char32_t c) {
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string u8(std::initializer_list<char32_t> cps) {
  std::string s;
  for (auto c : cps) append_utf8(s, c);
  return s;
}

// Printable form of a text for failure messages: non-ASCII and controls as \u{...}.
std::string show(const std::string& s, size_t limit = 300) {
  std::string out;
  for (unsigned char c : s.substr(0, limit)) {
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  if (s.size() > limit) out += "...";
  return out;
}

std::string show_ids(const Ids& ids, size_t limit = 40) {
  std::ostringstream o;
  o << '[';
  for (size_t i = 0; i < ids.size() && i < limit; ++i) o << (i ? "," : "") << ids[i];
  if (ids.size() > limit) o << ",...(" << ids.size() << ")";
  o << ']';
  return o.str();
}

// Compares ids per text; reports the count and the first few mismatches with their text.
struct Tally {
  size_t compared = 0, mismatched = 0;
  std::string report;
  void check(const std::string& text, const Ids& got, const Ids& want) {
    ++compared;
    if (got == want) return;
    if (++mismatched <= 5) {
      size_t d = 0;
      while (d < got.size() && d < want.size() && got[d] == want[d]) ++d;
      size_t from = d > 5 ? d - 5 : 0;
      Ids g(got.begin() + std::min(from, got.size()), got.end());
      Ids w(want.begin() + std::min(from, want.size()), want.end());
      report += "\n  text: \"" + show(text) + "\"\n  first difference at id " + std::to_string(d) +
                "; from id " + std::to_string(from) + ":\n   got: " + show_ids(g, 20) +
                "\n  want: " + show_ids(w, 20);
    }
  }
  void expect_clean(const std::string& what) const {
    EXPECT_GT(compared, 0u) << what;
    EXPECT_EQ(mismatched, 0u) << what << ": " << mismatched << " of " << compared
                              << " texts differ from BertTokenizerFast; first ones:" << report;
    std::cout << "[ parity   ] " << what << ": " << compared << " texts, " << mismatched
              << " mismatches" << std::endl;
  }
};

Ids to_ids(const json& j) {
  return j.get<Ids>();
}

// ---- (1) the benchmark corpora ------------------------------------------------------------------

TEST(Tokenizer, ParityOnSharedData) {
  if (!test::shared_data_available()) GTEST_SKIP() << "no ../shared/data";
  std::string files;
  size_t n_files = 0;
  for (const char* set : {"sst2", "sst5", "trec6"}) {
    for (const char* split : {"train", "dev", "test"}) {
      fs::path p = test::shared_data() / set / (std::string(split) + ".csv");
      if (fs::exists(p)) files += " " + q(p.string()), ++n_files;
    }
  }
  ASSERT_GE(n_files, 8u);
  json r = oracle("csv", "512", json(), test::default_model(), files);
  ASSERT_TRUE(r.is_object());
  const auto& texts = r["texts"];
  const auto& ids = r["ids"];
  ASSERT_EQ(texts.size(), ids.size());
  ASSERT_GT(texts.size(), 20000u);
  Tally t;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string text = texts[i].get<std::string>();
    t.check(text, tok().encode(text, 512).ids, to_ids(ids[i]));
  }
  t.expect_clean("shared data (sst2, sst5, trec6)");
}

// ---- (2) adversarial texts ----------------------------------------------------------------------

std::vector<std::string> adversarial_texts() {
  std::vector<std::string> v = {
      "",
      " ",
      "Hello, World!",
      "caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9 \xc3\x85ngstr\xc3\xb6m Cr\xc3\xa8me "
      "Br\xc3\xbbl\xc3\xa9"
      "e",
      "e\xcc\x81 a\xcc\x8a o\xcc\x88\xcc\x81 u\xcc\xa3\xcc\x81 x\xcc\x81\xcc\xa3\xcc\x88 "
      "\xcc\x81start",
      "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c\xef\xbc\x8c\xe4\xbb\x8a\xe5\xa4\xa9\xe5\xa4"
      "\xa9\xe6\xb0\x94\xe5\xbe\x88\xe5\xa5\xbd\xe3\x80\x82",
      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83"
      "\x88 \xe3\x82\xab\xe3\x82\xbf\xe3\x82\xab\xe3\x83\x8a "
      "\xef\xbd\xb6\xef\xbe\x80\xef\xbd\xb6\xef\xbe\x85",
      "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xed\x85\x8c\xec\x8a\xa4\xed\x8a\xb8 "
      "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab",
      "emoji \xf0\x9f\x98\x80\xf0\x9f\x98\x82 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd ok",
      "family "
      "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7\xe2\x80\x8d\xf0\x9f"
      "\x91\xa6 flag \xf0\x9f\x87\xba\xf0\x9f\x87\xb8 "
      "\xf0\x9f\x8f\xb3\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x8c\x88",
      u8({'n', 'e', 'w', ' ', 0x1F979, 0x1FAE0, 0x1FAE8, 0x1FA77, ' ', 'x', 0x1FAF8, 'y'}),
      u8({'z', 0x200B, 'w', 0x200C, 'j', 0x200D, 'x', 0xFEFF, 'q', 0x2060, 'e', 0x00AD, 'n', 'd'}),
      "ctrl\x01\x02\x07\x1b\x7f chars\x1c\x1d\x1e\x1f"
      "end",
      std::string("nul\0inside", 10),
      "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 "
      "\xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85 \xd9\x8e\xd9\x90\xd9\x8f",
      "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d "
      "\xe2\x80\x8f\xe2\x80\x8e\xe2\x80\xab\xe2\x80\xac",
      u8({'a', 0xA0,   'b', 0x2028, 'c', 0x2029, 'd', 0x3000, 'e', 0x0B,
          'f', 0x0C,   'g', 0x85,   'h', 0x1680, 'i', 0x2007, 'j', 0x202F,
          'k', 0x205F, 'l', 0x180E, 'm', '\t',   'n', '\r',   'o'}),
      std::string(101, 'a'),
      std::string(100, 'a'),
      std::string(99, 'b') + "\xc3\xa9",
      std::string(100, 'x') + "\xcc\x81",
      "pneumonoultramicroscopicsilicovolcanoconiosis " + std::string(150, 'z') + " tail",
      "!!!???...,,,;;;:::---___***&&&%%%$$$###@@@~~~```'''\"\"\"(((}}}[[[",
      "\xe2\x80\x94\xe2\x80\x93\xe2\x80\x9c\xe2\x80\x9d\xe2\x80\x98\xe2\x80\x99\xc2\xbf\xc2\xa1\xc2"
      "\xab\xc2\xbb\xe2\x80\xa6\xe3\x80\x81\xe3\x80\x82\xef\xbc\x81",
      "[MASK] [CLS] [SEP] [PAD] [UNK] [cls] [Mask] x[MASK]y [MASK][MASK] [MAS K] [[MASK]]",
      "[CLS]hello[SEP]world[SEP]",
      "\xc4\xb0stanbul \xc4\xb1\xc4\xb0 D\xc4\xb0YARBAKIR",
      "\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xcf\x83\xcf\x82\xce\xa3 \xce\xac\xce\xad\xce\xae",
      "\xef\xac\x81nance \xef\xac\x82ow \xef\xac\x80 \xef\xac\x83 \xef\xac\x86",
      "\xef\xbc\xa8\xef\xbd\x85\xef\xbd\x8c\xef\xbd\x8c\xef\xbd\x8f "
      "\xef\xbc\xb7\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x8c\xef\xbd\x84 "
      "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93",
      u8({0x1D400, 0x1D401, 0x1D402, ' ', 0x1D4D0, 0x1D538, ' ', 0x1D7D8, 0x1D7D9, ' ', 0x210C}),
      "\xe2\x91\xa0\xe2\x91\xa1 \xc2\xb2\xc2\xb3 \xc2\xbd \xe2\x85\xa2 \xe2\x84\xa2 \xe2\x84\x83",
      u8({0x130, 0x69, 0x307, 0x49, 0x131, ' ', 0x1E9E, 0xDF, ' ', 0x1F88, 0x1FBC, ' ', 0x10570,
          0x2C2F, 0xA7C0, 0x1C89}),
      u8({0x1100, 0x1161, 0x11A8, ' ', 0xAC00, 0xD7A3, ' ', 0x3131, 0x314F}),
      u8({0xF900, 0xF901, 0x2F800, 0x2A700, 0x2B820, 0x2B920, 0x2CEB0, 0x30000, 0x31350, 0x3400,
          0x9FFF, 0x9FFC}),
      u8({'a', 0x0F71, 0x0F72, 0x0F73, 'b', 0x0E49, 0x0E38, 'c', 0x05B0, 0x05B8, 'd', 0x1D165,
          0x1D16D, 'e'}),
      u8({'q', 0x0323, 0x0301, 0x0302, 0x0316, 0x0334, 0x035C, 0x0345, 'r'}),
      u8({0xE000, 'p', 0xF8FF, 'u', 0xF0000, 'a', 0x10FFFD, 'x', 0xFFFE, 'y', 0xFFFF, 'z', 0x0378,
          'w', 0xE0001, 0xE0041, 'v'}),
      u8({0xFFFD, 'r', 0xFFFD, 0xFFFD, ' ', 0xFFFD}),
      u8({0x0890, 0x08E2, 0x13430, 0x2E52, 0x166D, 0x1734, 0x1E95E, 0x10D50, 0xA7DC}),
      "tabs\tand\nnewlines\r\nand  double  spaces   ",
      "don't won't it's O'Neil e-mail co-operate 3.14 1,000,000 $5 50% a/b C++ C# .NET",
      "http://example.com/path?q=1&r=2#frag user@example.org",
      "UPPER lower MiXeD CamelCaseWord snake_case_word",
      "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87 "
      "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x94\xe0\xb8\xb5 "
      "\xe1\x83\x92\xe1\x83\x90\xe1\x83\x9b\xe1\x83\x90\xe1\x83\xa0\xe1\x83\xaf\xe1\x83\x9d\xe1\x83"
      "\x91\xe1\x83\x90",
      "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\x9c\xd0\x98\xd0\xa0 "
      "\xd0\x81\xd0\xbb\xd0\xba\xd0\xb0 \xd0\x99",
  };
  // Random mixtures of the troublesome pieces above, seeded: any failure reproduces.
  const std::vector<std::string> pool = {"a",
                                         "B",
                                         "z",
                                         "Q",
                                         " ",
                                         "  ",
                                         "\t",
                                         "\n",
                                         "\r",
                                         ".",
                                         ",",
                                         "'",
                                         "-",
                                         "[",
                                         "]",
                                         "[MASK]",
                                         "[CLS]",
                                         "[SEP]",
                                         "[UNK]",
                                         "[PAD]",
                                         "MASK",
                                         "##",
                                         "#",
                                         "ing",
                                         "un",
                                         "the",
                                         "\xc3\xa9",
                                         "\xcc\x81",
                                         "\xcc\xa3",
                                         "\xe4\xb8\xad",
                                         "\xe3\x81\x82",
                                         "\xed\x95\x9c",
                                         "\xf0\x9f\x98\x80",
                                         "\xe2\x80\x8d",
                                         "\xe2\x80\x8b",
                                         "\xc2\xa0",
                                         "\xe3\x80\x80",
                                         "\x0b",
                                         "\x0c",
                                         "\xc2\x85",
                                         "\x01",
                                         "\xc4\xb0",
                                         "\xce\xa3",
                                         "\xef\xac\x81",
                                         "\xef\xbc\xa1",
                                         "\xd9\x85",
                                         "\xd7\xa9",
                                         "\xe2\x80\x94",
                                         "\xef\xbf\xbd",
                                         "\xf0\x9f\xab\xa0",
                                         "\xe0\xbd\xb1",
                                         "\xe2\x84\xa2",
                                         "0",
                                         "42",
                                         "\xea\xb0\x80",
                                         "\xe1\x84\x80",
                                         "\xf0\x9d\x90\x80",
                                         "\xe2\x80\xa8",
                                         "\xdf\xbd"};
  std::mt19937 rng(12345);
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    int n = 1 + static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) s += pool[rng() % pool.size()];
    v.push_back(s);
  }
  return v;
}

TEST(Tokenizer, ParityOnAdversarialTexts) {
  auto texts = adversarial_texts();
  json in = texts;
  json with_special = oracle("single", "512", in);
  json raw = oracle("raw", "0", in);
  ASSERT_EQ(with_special.size(), texts.size());
  ASSERT_EQ(raw.size(), texts.size());
  Tally a, b;
  for (size_t i = 0; i < texts.size(); ++i) {
    a.check(texts[i], tok().encode(texts[i], 512).ids, to_ids(with_special[i]));
    b.check(texts[i], tok().tokenize_to_ids(texts[i]), to_ids(raw[i]));
  }
  a.expect_clean("adversarial texts, encode(max_length=512)");
  b.expect_clean("adversarial texts, tokenize_to_ids");
}

TEST(Tokenizer, InvalidUtf8ReadAsReplacementCharacters) {
  std::vector<std::string> bytes = {
      "a\xff"
      "b",
      "\xc3",
      "x\xc3",
      "\xc3(",
      "\xe2\x82",
      "\xe2\x82(",
      "\xed\xa0\x80",
      "\xed\xbf\xbf",
      "\xf0\x9f\x98",
      "\xf0\x9f\x98 z",
      "\xf4\x90\x80\x80",
      "\xf5\x80\x80\x80",
      "\xc0\xaf",
      "\xc1\xbf",
      "\xe0\x80\xaf",
      "\xf0\x80\x80\xaf",
      "\x80\x80\x80",
      "\xbf",
      "ok\xe4\xb8\xadok\xe4\xb8",
      "[MA\xffSK] [MASK]\xff",
      "caf\xc3\xa9\xe9",
      "\xfe\xfe\xff\xff",
      "\xf8\x88\x80\x80\x80",
      "\xef\xbf\xbe\xef\xbf\xbf",
      "\xe1\x80\xe2\x81\xe3"};
  json hex = json::array();
  for (auto& s : bytes) {
    std::string h;
    for (unsigned char c : s) {
      char b[3];
      std::snprintf(b, sizeof b, "%02x", c);
      h += b;
    }
    hex.push_back(h);
  }
  json want = oracle("hex", "512", hex);
  ASSERT_EQ(want.size(), bytes.size());
  Tally t;
  for (size_t i = 0; i < bytes.size(); ++i)
    t.check(bytes[i], tok().encode(bytes[i], 512).ids, to_ids(want[i]));
  t.expect_clean("invalid UTF-8");
}

// Every code point (surrogates excepted: they cannot be decoded text) as a word between ASCII
// letters and alone, 512 code points a text.
TEST(Tokenizer, ParityOnEveryCodePoint) {
  std::vector<std::string> texts;
  std::string cur;
  int in_cur = 0;
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    cur += " k";
    append_utf8(cur, c);
    cur += "q ";
    append_utf8(cur, c);
    if (++in_cur == 512) {
      texts.push_back(cur);
      cur.clear();
      in_cur = 0;
    }
  }
  if (!cur.empty()) texts.push_back(cur);
  json want = oracle("raw", "0", json(texts));
  ASSERT_EQ(want.size(), texts.size());
  Tally t;
  for (size_t i = 0; i < texts.size(); ++i)
    t.check(texts[i], tok().tokenize_to_ids(texts[i]), to_ids(want[i]));
  t.expect_clean("every code point (" + std::to_string(texts.size()) + " texts of 512)");
}

// ---- (3) truncation -----------------------------------------------------------------------------

std::vector<std::string> truncation_texts() {
  std::vector<std::string> v = {"", "a", "hello world", "one two three four five",
                                "unbelievably tokenization-heavy, punctuated; text!!!"};
  std::string words;
  for (int i = 0; i < 120; ++i) words += (i % 7 ? "word " : "antidisestablishmentarianism, ");
  v.push_back(words);
  v.push_back("[MASK] " + words.substr(0, 200) + " [SEP] x");
  return v;
}

TEST(Tokenizer, TruncationOfSingleTexts) {
  auto texts = truncation_texts();
  const std::vector<int> max_lengths = {2, 3, 4, 7, 16, 64, 512};
  json all = oracle("single", "2,3,4,7,16,64,512", json(texts));
  ASSERT_EQ(all.size(), max_lengths.size());
  Tally t;
  for (size_t k = 0; k < max_lengths.size(); ++k) {
    int max_length = max_lengths[k];
    const json& want = all[k];
    ASSERT_EQ(want.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      auto e = tok().encode(texts[i], max_length);
      t.check("max_length=" + std::to_string(max_length) + ": " + texts[i], e.ids, to_ids(want[i]));
      EXPECT_EQ(e.token_type_ids, std::vector<int8_t>(e.ids.size(), 0));
    }
  }
  t.expect_clean("truncation, single texts");
}

TEST(Tokenizer, TruncationOfPairs) {
  // Texts of 0..n word pieces, combined in pairs of many length ratios.
  std::vector<std::string> lens;
  for (int n : {0, 1, 2, 3, 5, 8, 13, 30}) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i % 3 == 2 ? "unhappiness " : "cat ");
    lens.push_back(s);
  }
  json pairs = json::array();
  for (auto& a : lens)
    for (auto& b : lens) pairs.push_back({a, b});
  const std::vector<int> max_lengths = {3, 4, 5, 6, 9, 10, 17, 32, 512};
  json all = oracle("pair", "3,4,5,6,9,10,17,32,512", pairs);
  ASSERT_EQ(all.size(), max_lengths.size());
  Tally t;
  for (size_t k = 0; k < max_lengths.size(); ++k) {
    int max_length = max_lengths[k];
    const json& want = all[k];
    ASSERT_EQ(want.size(), pairs.size());
    for (size_t i = 0; i < pairs.size(); ++i) {
      std::string a = pairs[i][0], b = pairs[i][1];
      auto e = tok().encode_pair(a, b, max_length);
      std::string label = "max_length=" + std::to_string(max_length) + ": (" + a + " | " + b + ")";
      t.check(label, e.ids, to_ids(want[i][0]));
      std::vector<int32_t> types(e.token_type_ids.begin(), e.token_type_ids.end());
      t.check(label + " [token types]", types, to_ids(want[i][1]));
    }
  }
  t.expect_clean("truncation, pairs (longest_first)");
}

// ---- settings from other model directories ------------------------------------------------------

// A cased config (do_lower_case=false) over the same files, and a directory without vocab.txt
// (the vocabulary then comes from tokenizer.json).
TEST(Tokenizer, ParityWithOtherSettings) {
  test::TempDir cased, no_vocab;
  for (const char* f : {"vocab.txt", "tokenizer.json"})
    fs::copy_file(test::default_model() / f, cased / f);
  test::write_file(cased / "tokenizer_config.json",
                   R"({"do_lower_case": false, "tokenize_chinese_chars": false,
                       "tokenizer_class": "BertTokenizer"})");
  fs::copy_file(test::default_model() / "tokenizer.json", no_vocab / "tokenizer.json");
  fs::copy_file(test::default_model() / "tokenizer_config.json",
                no_vocab / "tokenizer_config.json");
  auto texts = adversarial_texts();
  texts.resize(600);
  for (const auto* dir : {&cased, &no_vocab}) {
    auto t = Tokenizer::from_directory(dir->path().string());
    json want = oracle("single", "512", json(texts), dir->path());
    ASSERT_EQ(want.size(), texts.size());
    Tally tally;
    for (size_t i = 0; i < texts.size(); ++i)
      tally.check(texts[i], t.encode(texts[i], 512).ids, to_ids(want[i]));
    tally.expect_clean(dir == &cased ? "cased config" : "vocab from tokenizer.json");
  }
}

// ---- (4) `berth tokenize` end to end ------------------------------------------------------------

TEST(Tokenizer, BerthTokenizeBinaryMatchesOracle) {
  auto texts = adversarial_texts();
  std::string input;
  int lines = 0;
  for (size_t i = 0; i < texts.size() && lines < 400; ++i) {
    std::string s = texts[i];
    for (auto& c : s)
      if (c == '\n') c = ' ';  // a '\n' would make it two lines
    input += s;
    input += (i % 5 == 0) ? "\r\n" : "\n";
    ++lines;
    if (i % 17 == 0) input += "\n", ++lines;  // empty lines
  }
  input += "\xff\xfe bad bytes \xc3\n\n\nlast line without newline\r";
  for (int max_length : {512, 9}) {
    auto want = test::run_python("tokenize_oracle.py " + q(test::default_model().string()) + " " +
                                     std::to_string(max_length) + " lines",
                                 input);
    auto got = test::run_command(q(test::berth_binary()) + " tokenize --model " +
                                     q(test::default_model().string()) + " --max-length " +
                                     std::to_string(max_length),
                                 input);
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_GT(std::count(want.out.begin(), want.out.end(), '\n'), 400);
    if (got.out != want.out) {
      std::istringstream g(got.out), w(want.out);
      std::string gl, wl;
      int line = 0;
      while (std::getline(w, wl)) {
        ++line;
        if (!std::getline(g, gl) || gl != wl) {
          ADD_FAILURE() << "berth tokenize --max-length " << max_length << " differs at line "
                        << line << ":\n   got: " << gl << "\n  want: " << wl;
          break;
        }
      }
      ADD_FAILURE() << "outputs differ (sizes " << got.out.size() << " vs " << want.out.size()
                    << ")";
    }
  }
  // Default --max-length is 512 and an input without a final newline still counts.
  auto d = test::run_command(
      q(test::berth_binary()) + " tokenize --model " + q(test::default_model().string()),
      "hello world");
  EXPECT_EQ(d.exit_code, 0) << d.err;
  auto want = oracle("single", "512", json({"hello world"}));
  EXPECT_EQ(d.out, to_ids(want[0]).empty() ? "" : want[0].dump() + "\n");
}

// ---- (5) errors ---------------------------------------------------------------------------------

TEST(Tokenizer, MissingVocabularyIsAModelErrorNamingTheFile) {
  test::TempDir dir;
  test::write_file(dir / "tokenizer_config.json", R"({"do_lower_case": true})");
  try {
    Tokenizer::from_directory(dir.path().string());
    FAIL() << "expected berth::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel);
    EXPECT_NE(e.message().find("vocab.txt"), std::string::npos) << e.what();
    EXPECT_FALSE(e.hint().empty());
  }
  auto r = test::run_command(
      q(test::berth_binary()) + " tokenize --model " + q(dir.path().string()), "x\n");
  EXPECT_EQ(r.exit_code, static_cast<int>(ExitCode::kModel)) << r.err;
  EXPECT_NE(r.err.find("vocab.txt"), std::string::npos) << r.err;

  test::write_file(dir / "vocab.txt", "");
  EXPECT_THROW(Tokenizer::from_directory(dir.path().string()), Error);
  test::write_file(dir / "tokenizer.json", "{ not json");
  try {
    Tokenizer::from_directory(dir.path().string());
    FAIL() << "expected berth::Error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("tokenizer.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tokenizer::from_directory((dir / "does-not-exist").string()), Error);
}

TEST(Tokenizer, MaxLengthBelowSpecialTokensIsAUsageError) {
  for (int m : {1, 0, -5}) {
    try {
      tok().encode("hello", m);
      FAIL() << "expected berth::Error for max_length " << m;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kUsage);
    }
  }
  try {
    tok().encode_pair("a", "b", 2);
    FAIL() << "expected berth::Error for a pair with max_length 2";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
  auto r = test::run_command(q(test::berth_binary()) + " tokenize --model " +
                                 q(test::default_model().string()) + " --max-length 1",
                             "hello\n");
  EXPECT_EQ(r.exit_code, static_cast<int>(ExitCode::kUsage)) << r.err;
  EXPECT_NE(r.err.find("max-length"), std::string::npos) << r.err;
}

// Prep encodes on all cores with one Tokenizer: concurrent calls must give the serial results.
TEST(Tokenizer, ConcurrentEncodeMatchesSerial) {
  auto texts = adversarial_texts();
  std::vector<Ids> serial;
  for (auto& t : texts) serial.push_back(tok().encode(t, 64).ids);
  std::vector<std::vector<Ids>> got(4);
  std::vector<std::thread> threads;
  for (size_t k = 0; k < got.size(); ++k) {
    threads.emplace_back([&, k] {
      for (auto& t : texts) got[k].push_back(tok().encode(t, 64).ids);
    });
  }
  for (auto& th : threads) th.join();
  for (auto& g : got) EXPECT_TRUE(g == serial);
}

TEST(Tokenizer, AccessorsAndFingerprint) {
  const auto& t = tok();
  EXPECT_EQ(t.token(t.cls_id()), "[CLS]");
  EXPECT_EQ(t.token(t.sep_id()), "[SEP]");
  EXPECT_EQ(t.token(t.unk_id()), "[UNK]");
  EXPECT_EQ(t.token(t.pad_id()), "[PAD]");
  EXPECT_GT(t.vocab_size(), 1000);
  EXPECT_EQ(t.fingerprint(),
            Tokenizer::from_directory(test::default_model().string()).fingerprint());
  TokenizerSettings cased = t.settings();
  cased.lowercase = cased.strip_accents = false;
  std::vector<std::string> vocab;
  for (int i = 0; i < t.vocab_size(); ++i) vocab.push_back(t.token(i));
  EXPECT_NE(Tokenizer(vocab, cased).fingerprint(), t.fingerprint());
}

}  // namespace
}  // namespace berth::data
