// The search space: grid expansion order, random draws reproducible from the sweep's seed and
// inside their ranges, and errors that name the space file, the line and the key.
#include "sweep/space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "common/error.h"

namespace berth::sweep {
namespace {

std::vector<std::string> texts(const TrialValues& t) {
  std::vector<std::string> out;
  for (const auto& a : t) out.push_back(a.str());
  return out;
}

TEST(SweepSpace, GridIsTheCartesianProductLastKeyFastest) {
  auto s = Space::parse(R"(
method = "grid"
[params]
"optim.lr" = [1e-5, 3e-5]
train.seed = [1, 2, 3]
[params.optim]
schedule = ["linear"]
)",
                        "space.toml");
  ASSERT_EQ(s.params.size(), 3u);
  auto trials = s.expand();
  ASSERT_EQ(trials.size(), 6u);
  EXPECT_EQ(texts(trials[0]), (std::vector<std::string>{"optim.lr=1e-05", "train.seed=1",
                                                        "optim.schedule='linear'"}));
  EXPECT_EQ(texts(trials[1])[1], "train.seed=2");
  EXPECT_EQ(texts(trials[3])[0], "optim.lr=3e-05");
  EXPECT_EQ(texts(trials[3])[1], "train.seed=1");
  EXPECT_EQ(texts(trials[5]), (std::vector<std::string>{"optim.lr=3e-05", "train.seed=3",
                                                        "optim.schedule='linear'"}));
}

TEST(SweepSpace, FloatsStayFloatsAndRoundTrip) {
  EXPECT_EQ(toml_double(1.0), "1.0");
  EXPECT_EQ(toml_double(0.1), "0.1");
  EXPECT_EQ(toml_double(2e-5), "2e-05");
  const double x = 1.0 / 3.0;
  EXPECT_EQ(std::strtod(toml_double(x).c_str(), nullptr), x);
}

const char* kRandom = R"(
method = "random"
trials = 50
seed = %SEED%
[params]
"optim.lr" = { distribution = "log_uniform", min = 1e-5, max = 1e-3 }
"optim.warmup_ratio" = { distribution = "uniform", min = 0.0, max = 0.2 }
"train.seed" = { distribution = "uniform", min = 1, max = 3 }
"optim.schedule" = ["linear", "cosine"]
)";

Space random_space(int seed) {
  std::string text = kRandom;
  text.replace(text.find("%SEED%"), 6, std::to_string(seed));
  return Space::parse(text, "random.toml");
}

TEST(SweepSpace, RandomDrawsAreReproducibleAndInRange) {
  const auto a = random_space(7).expand(), b = random_space(7).expand(),
             c = random_space(8).expand();
  ASSERT_EQ(a.size(), 50u);
  std::set<std::string> seeds, schedules;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(texts(a[i]), texts(b[i]));  // same seed, same plan
    const double lr = std::stod(a[i][0].value), warm = std::stod(a[i][1].value);
    EXPECT_GE(lr, 1e-5);
    EXPECT_LE(lr, 1e-3);
    EXPECT_GE(warm, 0.0);
    EXPECT_LE(warm, 0.2);
    EXPECT_NE(a[i][1].value.find_first_of(".e"), std::string::npos) << "a float stays a float";
    seeds.insert(a[i][2].value);
    schedules.insert(a[i][3].value);
  }
  EXPECT_EQ(seeds, (std::set<std::string>{"1", "2", "3"}));  // integers, inclusive range
  EXPECT_EQ(schedules, (std::set<std::string>{"'linear'", "'cosine'"}));
  int differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += texts(a[i]) != texts(c[i]);
  EXPECT_GT(differ, 40) << "another seed, another plan";
  // log-uniform: about half the draws below the geometric midpoint 1e-4.
  int below = 0;
  for (const auto& t : a) below += std::stod(t[0].value) < 1e-4;
  EXPECT_GT(below, 12);
  EXPECT_LT(below, 38);
}

void expect_error(const std::string& text, const std::vector<std::string>& needles) {
  try {
    Space::parse(text, "bad.toml");
    FAIL() << "accepted:\n" << text;
  } catch (const Error& e) {
    const std::string all = e.message() + " | " + e.hint();
    for (const auto& n : needles) EXPECT_NE(all.find(n), std::string::npos) << all;
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
}

TEST(SweepSpace, ShapeErrorsNameTheFileLineAndKey) {
  expect_error("method = \"bayes\"\n[params]\na.b = [1]\n", {"bad.toml:1", "'method'", "grid"});
  expect_error("[params]\n\"optim.lr\" = { distribution = \"uniform\", min = 0.1, max = 0.2 }\n",
               {"bad.toml:2", "'optim.lr'", "method = \"random\""});
  expect_error("method = \"random\"\n[params]\n\"optim.lr\" = [1]\n", {"'trials'"});
  expect_error(
      "method = \"random\"\ntrials = 2\n[params]\n\"optim.lr\" = { distribution = "
      "\"log_uniform\", min = 0.0, max = 1.0 }\n",
      {"bad.toml:4", "'optim.lr'", "log_uniform"});
  expect_error(
      "method = \"random\"\ntrials = 2\n[params]\n\"optim.lr\" = { distribution = "
      "\"gauss\", min = 0.0, max = 1.0 }\n",
      {"'optim.lr.distribution'", "log_uniform"});
  expect_error("[params]\n\"train.seed\" = []\n", {"bad.toml:2", "'train.seed'", "empty"});
  expect_error("method = \"grid\"\nlr = [1]\n", {"bad.toml:2", "unknown key 'lr'", "[params]"});
  expect_error("method = \"grid\"\n", {"no [params]"});
}

}  // namespace
}  // namespace berth::sweep
