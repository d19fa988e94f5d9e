// A cased BERT tokenizer (do_lower_case=false: case and accents kept) against BertTokenizerFast,
// on a vocabulary built here, so that casing and accents change the ids: "Hello" and "hello",
// "Café" and "Cafe" are different tokens. The uncased default model cannot show that. Also the
// cased-but-accent-stripping variant (strip_accents=true). Expected ids come from the oracle.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Ids = std::vector<int32_t>;

// Whole words in several casings and with accents (precomposed), plus single characters and
// continuation pieces so that any word of these letters has a WordPiece split.
std::vector<std::string> cased_vocab() {
  std::vector<std::string> v = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (const char* w : {"Hello",    "hello",  "HELLO",  "World", "world",  "Café",   "café",
                        "Cafe",     "cafe",   "crème",  "creme", "naïve",  "Naïve",  "naive",
                        "Ünïcödé",  "straße", "Straße", "Ça",    "ça",     "va",     "Zoë",
                        "Zoe",      "Paris",  "paris",  "PARIS", "résumé", "resume", "İstanbul",
                        "istanbul", "Ελλάδα", "ελλαδα", "ΣΟΦΙΑ", "σοφια",  "the",    "The",
                        "THE",      "!",      ",",      ".",     "'",      "-"})
    v.push_back(w);
  for (char c = 'a'; c <= 'z'; ++c)
    v.push_back(std::string(1, c)), v.push_back("##" + std::string(1, c));
  for (char c = 'A'; c <= 'Z'; ++c)
    v.push_back(std::string(1, c)), v.push_back("##" + std::string(1, c));
  for (const char* a : {"é", "è", "ï", "ö", "ü", "Ü", "ß", "ç", "Ç", "ë", "É", "İ"})
    v.push_back(a), v.push_back(std::string("##") + a);
  for (const char* p : {"##llo", "##rld", "##fé", "##ve"}) v.push_back(p);
  return v;
}

std::vector<std::string> cased_texts() {
  std::vector<std::string> t = {
      "Hello World", "hello world", "HELLO WORLD", "Café crème", "cafe creme", "CAFÉ",
      "naïve Naïve NAÏVE naive", "Ünïcödé", "straße Straße STRASSE", "Ça va", "Zoë Zoe ZOË",
      "Paris paris PARIS pArIs", "résumé resume RÉSUMÉ", "İstanbul istanbul ISTANBUL",
      "Ελλάδα ελλαδα ΕΛΛΆΔΑ", "ΣΟΦΙΑ σοφια Σοφια",
      // decomposed accents (e + U+0301) and a combining mark alone
      "Cafe\xcc\x81 cre\xcc\x80me", "\xcc\x81", "The THE the, Hello! World.", "Hel-lo", ""};
  // Random words of the vocabulary's letters in random casings, accents mixed in.
  std::mt19937 rng(7);
  const std::vector<std::string> letters = {"a", "e", "l", "o", "H", "W", "C", "é", "ï", "ü",
                                            "Ü", "ß", "ç", "É", "r", "d", "z", "Z", "İ", "q"};
  for (int i = 0; i < 300; ++i) {
    std::string s;
    const int words = 1 + static_cast<int>(rng() % 6);
    for (int w = 0; w < words; ++w) {
      const int len = 1 + static_cast<int>(rng() % 8);
      for (int c = 0; c < len; ++c) s += letters[rng() % letters.size()];
      s += rng() % 5 == 0 ? ", " : " ";
    }
    t.push_back(s);
  }
  return t;
}

// Writes vocab.txt and tokenizer_config.json (no tokenizer.json: transformers builds the fast
// tokenizer from these, as for an old cased checkpoint).
void write_tokenizer_dir(const fs::path& dir, const std::string& config) {
  std::string vocab;
  for (auto& w : cased_vocab()) vocab += w + "\n";
  test::write_file(dir / "vocab.txt", vocab);
  test::write_file(dir / "tokenizer_config.json", config);
}

std::vector<Ids> oracle(const fs::path& dir, const std::vector<std::string>& texts) {
  auto r =
      test::run_python("tokenize_oracle.py '" + dir.string() + "' 64 single", json(texts).dump());
  if (r.exit_code != 0) return {};
  return json::parse(r.out).get<std::vector<Ids>>();
}

TEST(CasedTokenizer, MatchesBertTokenizerFastWithCaseAndAccentsKept) {
  test::TempDir dir;
  write_tokenizer_dir(dir.path(),
                      R"({"do_lower_case": false, "tokenizer_class": "BertTokenizer"})");
  auto tok = Tokenizer::from_directory(dir.path().string());
  EXPECT_FALSE(tok.settings().lowercase);
  EXPECT_FALSE(tok.settings().strip_accents);  // HF: strip_accents null follows lowercase
  const auto texts = cased_texts();
  const auto want = oracle(dir.path(), texts);
  ASSERT_EQ(want.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(tok.encode(texts[i], 64).ids, want[i]) << "text " << i << ": " << texts[i];
  // Case and accents matter here: the vocabulary's own words keep distinct ids.
  EXPECT_NE(tok.encode("Hello", 8).ids, tok.encode("hello", 8).ids);
  EXPECT_NE(tok.encode("Café", 8).ids, tok.encode("Cafe", 8).ids);
  EXPECT_EQ(tok.encode("Café", 8).ids.size(), 3u);  // one whole-word token, not [UNK]
}

TEST(CasedTokenizer, CasedWithAccentsStrippedMatchesToo) {
  test::TempDir dir;
  write_tokenizer_dir(dir.path(), R"({"do_lower_case": false, "strip_accents": true})");
  auto tok = Tokenizer::from_directory(dir.path().string());
  EXPECT_FALSE(tok.settings().lowercase);
  EXPECT_TRUE(tok.settings().strip_accents);
  const auto texts = cased_texts();
  const auto want = oracle(dir.path(), texts);
  ASSERT_EQ(want.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(tok.encode(texts[i], 64).ids, want[i]) << "text " << i << ": " << texts[i];
  EXPECT_EQ(tok.encode("Café", 8).ids, tok.encode("Cafe", 8).ids);
  EXPECT_NE(tok.encode("Cafe", 8).ids, tok.encode("cafe", 8).ids);
}

}  // namespace
}  // namespace berth::data
