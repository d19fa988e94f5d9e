// data.truncation (head / tail / head_tail) and --windows against Hugging Face: the ids of every
// rule equal the slicing tests/python/tokenize_oracle.py does with BertTokenizerFast
// (truncation_side="left" for tail, the first K + last B-K word pieces for head_tail), and the
// windows equal return_overflowing_tokens=True with the same stride. Every expected id comes
// from the oracle.
#include "data/truncation.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/text_windows.h"
#include "data/tokenizer.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

using nlohmann::json;
using Ids = std::vector<int32_t>;

const Tokenizer& tok() {
  static Tokenizer t = Tokenizer::from_directory(test::default_model().string());
  return t;
}

// One oracle run for several (mode, max_length) cases: one result per case.
json oracle(const std::vector<std::pair<std::string, int>>& cases,
            const std::vector<std::string>& texts) {
  json in = {{"texts", texts}, {"cases", json::array()}};
  for (auto& [mode, max_length] : cases)
    in["cases"].push_back({{"mode", mode}, {"max_length", max_length}});
  auto r = test::run_python("tokenize_oracle.py '" + test::default_model().string() + "' 0 cases",
                            in.dump());
  if (r.exit_code != 0) return json();
  return json::parse(r.out);
}

// Texts of 0 to ~700 word pieces, with multi-piece words so that cuts fall inside words.
std::vector<std::string> texts() {
  std::vector<std::string> v = {"", "a", "hello world", "unbelievably tokenization-heavy text!"};
  for (int n : {5, 6, 7, 13, 31, 62, 63, 64, 65, 126, 127, 200, 400, 1200}) {
    std::string s;
    for (int i = 0; i < n; ++i)
      s += i % 5 == 4 ? "antidisestablishmentarianism " : "w" + std::to_string(i % 97) + " ";
    v.push_back(s);
  }
  return v;
}

void expect_same(const std::vector<std::string>& texts, const json& want,
                 const std::function<Ids(const std::string&)>& got, const std::string& what) {
  ASSERT_EQ(want.size(), texts.size()) << what;
  int cut = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    Ids w = want[i].get<Ids>();
    EXPECT_EQ(got(texts[i]), w) << what << ", text " << i;
    cut += tok().tokenize_to_ids(texts[i]).size() + 2 > w.size();
  }
  // Not vacuous: several texts were longer than the budget.
  EXPECT_GE(cut, 3) << what;
}

TEST(Truncation, EveryRuleMatchesHuggingFaceSlicing) {
  const auto t = texts();
  struct Case {
    TruncationRule rule;
    int max_length;
  };
  std::vector<Case> cases;
  std::vector<std::pair<std::string, int>> modes;
  for (int max_length : {3, 4, 8, 16, 64, 128, 512}) {
    std::vector<TruncationRule> rules = {{Truncation::kHead, -1}, {Truncation::kTail, -1}};
    for (int k : {-1, 0, 1, 5, 100})
      if (k <= max_length - 2) rules.push_back({Truncation::kHeadTail, k});
    for (auto& rule : rules) {
      cases.push_back({rule, max_length});
      modes.emplace_back(rule.side == Truncation::kHeadTail
                             ? "head_tail:" + std::to_string(rule.head_tokens)
                             : to_string(rule.side),
                         max_length);
    }
  }
  json want = oracle(modes, t);
  ASSERT_EQ(want.size(), cases.size());
  for (size_t c = 0; c < cases.size(); ++c) {
    const auto& [rule, max_length] = cases[c];
    expect_same(
        t, want[c],
        [&](const std::string& s) { return encode_truncated(tok(), s, max_length, rule).ids; },
        modes[c].first + " at " + std::to_string(max_length));
  }
}

TEST(Truncation, HeadTailDefaultIsSunEtAlsSplit) {
  EXPECT_EQ((TruncationRule{Truncation::kHeadTail, -1}.head_pieces(512)), 128);
  EXPECT_EQ((TruncationRule{Truncation::kHeadTail, -1}.describe(512)),
            "head_tail (first 128 + last 382 word pieces)");
  EXPECT_EQ((TruncationRule{Truncation::kHeadTail, 7}.head_pieces(128)), 7);
  EXPECT_EQ((TruncationRule{Truncation::kHeadTail, -1}.head_pieces(4)), 1);
}

TEST(Truncation, ProblemsAreNamed) {
  EXPECT_EQ(truncation_problem({Truncation::kHeadTail, -1}, 128, false), "");
  EXPECT_NE(truncation_problem({Truncation::kTail, -1}, 128, true).find("single texts"),
            std::string::npos);
  EXPECT_EQ(truncation_problem({Truncation::kHead, -1}, 128, true), "");
  EXPECT_NE(truncation_problem({Truncation::kHeadTail, 127}, 128, false).find("126"),
            std::string::npos);
  EXPECT_NE(truncation_problem({Truncation::kHeadTail, -2}, 128, false), "");
}

TEST(TextWindows, IdsMatchReturnOverflowingTokens) {
  const auto t = texts();
  const std::vector<std::pair<int, int>> settings = {{8, 0},   {8, 2},    {8, 5},     {16, 4},
                                                     {64, 16}, {128, 32}, {128, 125}, {512, 128}};
  std::vector<std::pair<std::string, int>> modes;
  for (auto [max_length, stride] : settings)
    modes.emplace_back("windows:" + std::to_string(stride), max_length);
  json all = oracle(modes, t);
  ASSERT_EQ(all.size(), settings.size());
  for (size_t c = 0; c < settings.size(); ++c) {
    auto [max_length, stride] = settings[c];
    const json& want = all[c];
    ASSERT_EQ(want.size(), t.size());
    size_t several = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      auto windows = encode_windows(tok(), t[i], max_length, stride);
      std::vector<Ids> got;
      for (auto& w : windows) {
        got.push_back(w.ids);
        EXPECT_EQ(w.token_type_ids, std::vector<int8_t>(w.ids.size(), 0));
      }
      EXPECT_EQ(got, want[i].get<std::vector<Ids>>())
          << "max_length " << max_length << ", stride " << stride << ", text " << i;
      several += got.size() > 2;
    }
    EXPECT_GE(several, 1u) << "max_length " << max_length << ": no text had 3+ windows";
  }
}

TEST(TextWindows, RangesAndLimits) {
  using R = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(window_ranges(0, 6, 2), (R{{0, 0}}));
  EXPECT_EQ(window_ranges(6, 6, 2), (R{{0, 6}}));
  EXPECT_EQ(window_ranges(7, 6, 2), (R{{0, 6}, {4, 7}}));
  EXPECT_EQ(window_ranges(12, 6, 0), (R{{0, 6}, {6, 12}}));
  EXPECT_THROW(window_ranges(10, 6, 6), Error);
  EXPECT_THROW(window_ranges(10, 6, -1), Error);
  EXPECT_NE(windows_problem(8, 6).find("less than the 6 word pieces"), std::string::npos);
  EXPECT_EQ(windows_problem(512, 128), "");
}

}  // namespace
}  // namespace berth::data
