// Parity of berth::data::Tokenizer with transformers' fast tokenizers for the encoder families
// users bring (RoBERTa, ModernBERT, XLM-R, DeBERTa-v3, DistilBERT, ELECTRA): one small tokenizer
// per family is trained on the shared corpora by tests/python/make_family_tokenizers.py and saved
// with the family's save_pretrained; tests/python/tokenize_oracle.py (AutoTokenizer) gives every
// expected id. Texts: all of ../shared/data plus Unicode edge cases and seeded random strings,
// single and paired, untruncated and cut (head, tail, head_tail, windows) at a small max length.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/text_windows.h"
#include "data/tokenizer.h"
#include "data/truncation.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Ids = std::vector<int32_t>;

const std::vector<std::string> kFamilies = {"roberta",       "modernbert", "xlm-roberta",
                                            "deberta-v2",    "distilbert", "electra",
                                            "xlm-roberta-hf"};

std::string q(const std::string& s) {
  return "'" + s + "'";
}

std::vector<fs::path> shared_csvs() {
  std::vector<fs::path> out;
  for (const char* f : {"sst2/train.csv", "sst2/dev.csv", "sst2/test.csv", "sst5/train.csv",
                        "sst5/dev.csv", "sst5/test.csv", "trec6/train.csv", "trec6/test.csv"})
    out.push_back(test::shared_data() / f);
  return out;
}

// Texts that stress each stage: whitespace runs and ends (Strip, Replace, Metaspace, the GPT-2
// pattern), added tokens inside text (lstrip on <mask>), combining marks and compatibility forms
// (NFC/NFKC, the Precompiled charsmap), grapheme clusters, CJK, emoji, RTL, zero-width and
// control characters, unknown characters (Unigram unk fusing), and long words (BPE merges).
std::vector<std::string> edge_texts() {
  std::vector<std::string> t = {
      "",
      " ",
      "   ",
      "\t\n",
      "hello world",
      " hello world ",
      "  leading and trailing  ",
      "multiple   spaces    here",
      "tabs\tand\nnewlines\r\nand\u00a0nbsp\u3000ideographic space",
      "caf\u00e9 cafe\u0301 na\u00efve re\u0301sume\u0301",
      "A\u030a \u212b \u00c5 \uff21\uff22\uff23 \u2460 \u00bd \ufb01ne \u2126",
      "\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002\u5317\u4eac",
      "\uc11c\uc6b8\uc740 \ud55c\uad6d\uc758 \uc218\ub3c4",
      "emoji \U0001F600\U0001F44D\U0001F3FD \U0001F468\u200d\U0001F469\u200d\U0001F467 "
      "\U0001F1EB\U0001F1F7",
      "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e9\u05dc\u05d5\u05dd \u200f\u200e",
      "zero\u200bwidth\u200cjoin\u200dner\ufeffbom",
      "ctrl\x01\x02\x7f\u0085\u009f chars\x0b\x0c",
      "replacement \ufffd char and \u2581 lower one eighth block",
      "hello <mask> world",
      "hello<mask>world",
      "hello  <mask>  world",
      "<mask>",
      " <mask>",
      "<s> text </s></s> more </s>",
      "[CLS] text [SEP] [MASK] [UNK] [PAD]",
      "x[MASK]y [mask] <unk> <pad>",
      "it's they're we've I'm you'll he'd 'S",
      "numbers 1234567890 3.14159 1,000,000 \u0661\u0662\u0663",
      "punctuation!!! ??? ... --- ((nested)) \"quotes\" 'single' \u00ab\u00bb \u2014 \u2026",
      "UPPER lower MiXeD \u0130stanbul \u03a3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2 "
      "\u041f\u0440\u0438\u0432\u0435\u0442",
      "\U00010348\U0001D400\U00020000\U0002A700 \U000E0041 tags",
      std::string(300, 'a'),
      "supercalifragilisticexpialidocious" + std::string(40, 'x') + "antidisestablishment",
      std::string("nul\0inside", 10),
  };
  std::string many;
  for (int i = 0; i < 60; ++i) many += "word" + std::to_string(i) + (i % 7 ? " " : "  ");
  t.push_back(many);
  return t;
}

// Seeded random strings over an alphabet mixing the classes above.
std::vector<std::string> random_texts(int n) {
  const std::vector<std::string> alphabet = {
      "a",      "b",      "e",      "n",          "t",       "Z",      " ",      " ",
      "  ",     "\t",     "\n",     "0",          "7",       ".",      ",",      "'",
      "'s",     "-",      "!",      "\u00e9",     "e\u0301", "\u0301", "\u00df", "\u0130",
      "\u4e2d", "\u6587", "\u3042", "\U0001F600", "\u200d",  "\u200b", "\ufeff", "\u0627",
      "\u05d0", "\uff21", "\u2460", "\u00a0",     "\u2581",  "<mask>", "<s>",    "[MASK]",
      "[SEP]",  "\x01",   "\u0085", "\u3000",     "the",     "movie"};
  std::mt19937 rng(23);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string s;
    const int len = 1 + static_cast<int>(rng() % 24);
    for (int k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> csv_texts() {
  auto r =
      test::run_python("tokenize_oracle.py " + q(test::default_model().string()) + " 0 csv" + [] {
        std::string a;
        for (auto& p : shared_csvs()) a += " " + q(p.string());
        return a;
      }());
  if (r.exit_code != 0) return {};
  return json::parse(r.out)["texts"].get<std::vector<std::string>>();
}

class FamilyTokenizer : public ::testing::TestWithParam<std::string> {
 protected:
  // CTest runs every test in its own process: the tokenizers and the shared texts are made once
  // per build into a folder beside the berth binary, keyed by the generator script's content,
  // and published by an atomic rename, so parallel test processes reuse them instead of training
  // them again (each training is tens of seconds).
  static void SetUpTestSuite() {
    if (!test::shared_data_available()) return;
    setenv("BERTH_ORACLE_AUTO", "1", 1);  // the oracle loads AutoTokenizer
    std::ifstream script(test::source_dir() / "tests" / "python" / "make_family_tokenizers.py");
    std::stringstream content;
    content << script.rdbuf();
    const fs::path cache =
        fs::path(test::berth_binary()).parent_path() / "test-cache" /
        ("family-tokenizers-" + std::to_string(std::hash<std::string>{}(content.str())));
    if (!fs::exists(cache / "texts.json")) {
      fs::create_directories(cache.parent_path());
      const fs::path tmp = cache.string() + ".tmp." + std::to_string(getpid());
      fs::remove_all(tmp);
      fs::create_directories(tmp);
      std::string args;
      for (auto& p : shared_csvs()) args += " " + q(p.string());
      auto r = test::run_python("make_family_tokenizers.py " + q(tmp.string()) + args);
      if (r.exit_code != 0) return;
      json texts = csv_texts();
      std::ofstream(tmp / "texts.json") << texts.dump();
      std::error_code ec;
      fs::rename(tmp, cache, ec);  // another process may have published it first: use that
      fs::remove_all(tmp, ec);
    }
    dir_ = cache;
    made_ = fs::exists(cache / "texts.json");
    if (!made_) return;
    std::ifstream in(cache / "texts.json");
    texts_ = json::parse(in).get<std::vector<std::string>>();
    for (auto& s : edge_texts()) texts_.push_back(s);
    for (auto& s : random_texts(400)) texts_.push_back(s);
  }
  static void TearDownTestSuite() { unsetenv("BERTH_ORACLE_AUTO"); }
  void SetUp() override {
    if (!test::shared_data_available()) GTEST_SKIP() << "no ../shared/data";
    ASSERT_TRUE(made_) << "make_family_tokenizers.py failed";
  }

  fs::path model() const { return dir_ / GetParam(); }
  Tokenizer load() const { return Tokenizer::from_directory(model().string()); }
  json oracle(const std::string& mode, const std::string& max_length, const json& input) const {
    auto r = test::run_python(
        "tokenize_oracle.py " + q(model().string()) + " " + max_length + " " + mode, input.dump());
    if (r.exit_code != 0) return json();
    return json::parse(r.out);
  }

  static fs::path dir_;
  static bool made_;
  static std::vector<std::string> texts_;
};

fs::path FamilyTokenizer::dir_;
bool FamilyTokenizer::made_ = false;
std::vector<std::string> FamilyTokenizer::texts_;

// Printable form of a text for failure messages.
std::string show(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 200)) {
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  return out;
}

std::string dump(const Ids& ids) {
  return json(ids).dump();
}

TEST_P(FamilyTokenizer, EveryTextUntruncated) {
  const Tokenizer tok = load();
  json want = oracle("single", "0", json(texts_));
  ASSERT_EQ(want.size(), texts_.size());
  int bad = 0;
  for (size_t i = 0; i < texts_.size(); ++i) {
    Ids got = tok.encode(texts_[i], 1 << 20).ids;
    if (got != want[i].get<Ids>() && ++bad <= 5)
      ADD_FAILURE() << GetParam() << " text " << i << " '" << show(texts_[i])
                    << "'\n   got: " << dump(got) << "\n  want: " << want[i].dump();
  }
  EXPECT_EQ(bad, 0) << "of " << texts_.size() << " texts";
  EXPECT_GT(texts_.size(), 20000u);
}

TEST_P(FamilyTokenizer, PairsWithTypeIds) {
  const Tokenizer tok = load();
  json pairs = json::array();
  // Edge and random texts (the end of texts_) paired with corpus texts.
  for (size_t i = 0; i < 500; ++i) pairs.push_back({texts_[texts_.size() - 1 - i], texts_[i * 41]});
  const int max_lengths[] = {1 << 20, 16, 5};
  json want = oracle("pair", "0,16,5", pairs);
  ASSERT_EQ(want.size(), 3u);
  for (int m = 0; m < 3; ++m) {
    ASSERT_EQ(want[m].size(), pairs.size());
    int bad = 0;
    for (size_t i = 0; i < pairs.size(); ++i) {
      const std::string a = pairs[i][0], b = pairs[i][1];
      Encoding e = tok.encode_pair(a, b, max_lengths[m]);
      std::vector<int> types(e.token_type_ids.begin(), e.token_type_ids.end());
      if ((e.ids != want[m][i][0].get<Ids>() || types != want[m][i][1].get<std::vector<int>>()) &&
          ++bad <= 3)
        ADD_FAILURE() << GetParam() << " max_length " << max_lengths[m] << " pair '" << show(a)
                      << "' + '" << show(b) << "'\n   got: " << dump(e.ids) << " "
                      << json(types).dump() << "\n  want: " << want[m][i].dump();
    }
    EXPECT_EQ(bad, 0) << "max_length " << max_lengths[m];
  }
}

TEST_P(FamilyTokenizer, LongTextRules) {
  const Tokenizer tok = load();
  std::vector<std::string> texts(texts_.end() - 900, texts_.end());  // edge + random + some csv
  for (size_t i = 0; i < 300; ++i) texts.push_back(texts_[i * 37 % texts_.size()]);
  json cases = {{"texts", texts},
                {"cases",
                 {{{"mode", "head"}, {"max_length", 12}},
                  {{"mode", "tail"}, {"max_length", 12}},
                  {{"mode", "head_tail:-1"}, {"max_length", 12}},
                  {{"mode", "head_tail:4"}, {"max_length", 12}},
                  {{"mode", "windows:3"}, {"max_length", 12}}}}};
  json want = oracle("cases", "0", cases);
  ASSERT_EQ(want.size(), 5u);
  const TruncationRule rules[] = {{Truncation::kHead, -1},
                                  {Truncation::kTail, -1},
                                  {Truncation::kHeadTail, -1},
                                  {Truncation::kHeadTail, 4}};
  for (size_t c = 0; c < 4; ++c) {
    int bad = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      Ids got = encode_truncated(tok, texts[i], 12, rules[c]).ids;
      if (got != want[c][i].get<Ids>() && ++bad <= 3)
        ADD_FAILURE() << GetParam() << " " << cases["cases"][c]["mode"] << " '" << show(texts[i])
                      << "'\n   got: " << dump(got) << "\n  want: " << want[c][i].dump();
    }
    EXPECT_EQ(bad, 0) << cases["cases"][c]["mode"];
  }
  int bad = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    json got = json::array();
    for (auto& w : encode_windows(tok, texts[i], 12, 3)) got.push_back(w.ids);
    if (got != want[4][i] && ++bad <= 3)
      ADD_FAILURE() << GetParam() << " windows '" << show(texts[i]) << "'\n   got: " << got.dump()
                    << "\n  want: " << want[4][i].dump();
  }
  EXPECT_EQ(bad, 0) << "windows";
}

TEST_P(FamilyTokenizer, InvalidUtf8) {
  const Tokenizer tok = load();
  const std::vector<std::string> raw = {
      "a\xff"
      "b",
      "\xe2\x82(x",
      "\xed\xa0\x80 surrogate",
      "\xc3",
      "ok \xf4\x90\x80\x80 end",
      "\xc0\xaf<mask>"};
  json hex = json::array();
  for (auto& s : raw) {
    std::string h;
    char b[3];
    for (unsigned char c : s) std::snprintf(b, sizeof b, "%02x", c), h += b;
    hex.push_back(h);
  }
  json want = oracle("hex", "0", hex);
  ASSERT_EQ(want.size(), raw.size());
  for (size_t i = 0; i < raw.size(); ++i)
    EXPECT_EQ(dump(tok.encode(raw[i], 1 << 20).ids), want[i].dump()) << show(raw[i]);
}

TEST_P(FamilyTokenizer, BerthTokenizeCommand) {
  std::string input;
  std::vector<std::string> lines;
  for (size_t i = 0; i < texts_.size(); i += 53) {
    std::string s = texts_[i];
    for (char& c : s)
      if (c == '\n' || c == '\t') c = ' ';
    lines.push_back(s);
    input += s + "\n";
  }
  auto want = test::run_python("tokenize_oracle.py " + q(model().string()) + " 24 lines", input);
  auto got = test::run_command(
      q(test::berth_binary()) + " tokenize --model " + q(model().string()) + " --max-length 24",
      input);
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, want.out);
  // --pairs: a line is two texts split at its first tab.
  json pairs = json::array();
  std::string pair_input;
  for (size_t i = 0; i + 1 < lines.size(); i += 2) {
    pairs.push_back({lines[i], lines[i + 1]});
    pair_input += lines[i] + "\t" + lines[i + 1] + "\n";
  }
  json pw = oracle("pair", "24", pairs);
  std::string expected;
  for (auto& p : pw) expected += p[0].dump() + "\n";
  auto pg = test::run_command(q(test::berth_binary()) + " tokenize --pairs --model " +
                                  q(model().string()) + " --max-length 24",
                              pair_input);
  ASSERT_EQ(pg.exit_code, 0) << pg.err;
  EXPECT_EQ(pg.out, expected);
}

TEST_P(FamilyTokenizer, SpecialIdsFollowTheTemplate) {
  const Tokenizer tok = load();
  Encoding e = tok.encode("", 8);
  ASSERT_EQ(e.ids.size(), static_cast<size_t>(tok.special_token_count(false)));
  EXPECT_EQ(e.ids.front(), tok.cls_id());
  EXPECT_EQ(e.ids.back(), tok.sep_id());
  // pad id: tokenizer_config.json's pad_token, whose id tokenizer.json's added_tokens give (what
  // transformers' pad_token_id reads; an interpreter start per family would cost seconds).
  std::ifstream cfg_in(model() / "tokenizer_config.json"), tok_in(model() / "tokenizer.json");
  const json cfg = json::parse(cfg_in), tj = json::parse(tok_in);
  const std::string pad = cfg.at("pad_token");
  int32_t want = -1;
  for (const auto& t : tj.at("added_tokens"))
    if (t.at("content") == pad) want = t.at("id");
  EXPECT_EQ(tok.pad_id(), want) << pad;
}

// The fingerprint stored in corpora is stable, differs between families and changes with an edit
// of tokenizer.json that changes ids.
TEST_P(FamilyTokenizer, FingerprintFollowsTokenizerJson) {
  const std::string a = load().fingerprint();
  EXPECT_EQ(a, load().fingerprint());
  const std::string other = GetParam() == "roberta" ? "modernbert" : "roberta";
  EXPECT_NE(a, Tokenizer::from_directory((dir_ / other).string()).fingerprint());
  test::TempDir copy;
  fs::copy(model(), copy.path(), fs::copy_options::recursive);
  std::ifstream in(copy / "tokenizer.json");
  json j = json::parse(in);
  in.close();
  j["added_tokens"].push_back({{"id", 10},
                               {"content", "zzqq"},
                               {"single_word", false},
                               {"lstrip", false},
                               {"rstrip", false},
                               {"normalized", false},
                               {"special", true}});
  test::write_file(copy / "tokenizer.json", j.dump());
  const Tokenizer edited = Tokenizer::from_directory(copy.path().string());
  EXPECT_NE(edited.tokenize_to_ids("zzqq"), load().tokenize_to_ids("zzqq"));
  EXPECT_NE(a, edited.fingerprint());
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyTokenizer, ::testing::ValuesIn(kFamilies),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// A component Berth does not read is an error naming its type and the file.
TEST(FamilyTokenizerErrors, UnsupportedComponentIsNamed) {
  test::TempDir dir;
  const json base = {
      {"version", "1.0"},
      {"added_tokens", json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
      {"post_processor", nullptr},
      {"model",
       {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}}, {"merges", {"a b"}}}}};
  auto expect_error = [&](const char* key, const json& value, const std::string& name) {
    json j = base;
    j[key] = value;
    test::write_file(dir / "tokenizer.json", j.dump());
    try {
      Tokenizer::from_directory(dir.path().string());
      ADD_FAILURE() << key << " " << name << " was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(name), std::string::npos) << what;
      EXPECT_NE(what.find((dir / "tokenizer.json").string()), std::string::npos) << what;
    }
  };
  expect_error("normalizer", {{"type", "FancyNormalizer"}}, "FancyNormalizer");
  expect_error("pre_tokenizer", {{"type", "UnicodeScripts"}}, "UnicodeScripts");
  expect_error("model", {{"type", "WordLevel"}, {"vocab", json::object()}}, "WordLevel");
  expect_error("post_processor", {{"type", "Fancy"}}, "Fancy");
  // The minimal file itself works: "ab" merges, "c" has no unk token and is dropped.
  test::write_file(dir / "tokenizer.json", base.dump());
  Tokenizer t = Tokenizer::from_directory(dir.path().string());
  EXPECT_EQ(t.tokenize_to_ids("ab a c b"), (Ids{2, 0, 1}));
}

}  // namespace
}  // namespace berth::data
