// A sweep's search space (`berth sweep --space SPACE.toml`): which config keys vary and how.
//
//   method = "grid"        # grid: every combination of the lists; random: `trials` draws
//   trials = 8             # random only
//   seed = 1               # random only: the sweep's own seed, so a plan is reproducible
//   [params]
//   "optim.lr" = [2e-5, 3e-5, 5e-5]          # a list: grid axis, or a random choice
//   train.seed = [1, 2, 3]                    # dotted keys and [params.train] tables work too
//   "optim.warmup_ratio" = { distribution = "uniform", min = 0.0, max = 0.2 }  # random only
//
// Values are kept as TOML text ("3e-05", "\"cosine\"") so that a trial is a list of `--set`
// assignments, validated by the config itself (sweep/sweep_plan.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/choices.h"

namespace berth::sweep {

enum class Method { kGrid, kRandom };
enum class Distribution { kChoice, kUniform, kLogUniform };

struct Param {
  std::string key;  // the config key, "section.key"
  int line = 0;     // in the space file, for errors
  Distribution distribution = Distribution::kChoice;
  std::vector<std::string> values;  // kChoice: each value as TOML text
  double min = 0, max = 0;          // kUniform, kLogUniform
  bool integer = false;             // min and max written as integers: draws are integers
};

// One trial's values, in the order of the space's parameters.
struct Assignment {
  std::string key;
  std::string value;  // TOML text
  std::string str() const { return key + "=" + value; }
};
using TrialValues = std::vector<Assignment>;

struct Space {
  std::string path;  // the file it came from (errors name it)
  Method method = Method::kGrid;
  int64_t trials = 0;  // random: how many draws
  uint64_t seed = 0;   // random
  std::vector<Param> params;

  // Reads and checks the file's shape (not the values: that is the config's job). Throws
  // berth::Error (usage) naming the file, the line and the key.
  static Space load(const std::string& path);
  static Space parse(const std::string& toml_text, const std::string& origin);

  // grid: the cartesian product, the last parameter varying fastest; random: `trials` draws from
  // a generator seeded with `seed` (the same draws on every machine and every rerun).
  std::vector<TrialValues> expand() const;
};

// A double as the shortest TOML text that reads back to the same value ("3e-05", "1.0").
std::string toml_double(double v);

}  // namespace berth::sweep

namespace berth {
template <>
struct ChoiceNames<sweep::Method> {
  static constexpr std::array<const char*, 2> names{"grid", "random"};
};
template <>
struct ChoiceNames<sweep::Distribution> {
  static constexpr std::array<const char*, 3> names{"choice", "uniform", "log_uniform"};
};
}  // namespace berth
