// A sweep's plan: the base config, the `--set` overrides every trial shares, and each trial's
// values, written to <sweep dir>/sweep.toml before anything runs. Rerunning `berth sweep` with
// the same inputs finds the same plan there and goes on from where the trials are; other inputs
// are refused rather than mixed into the directory.
//
//   <sweep dir>/sweep.toml          the plan
//   <sweep dir>/trial-NNN/          each trial's run directory (train.run_dir), holding
//       config.toml                 its full resolved config (what `berth train` runs)
//       train.log                   the output of its `berth train` processes
//       exit-code                   written when it failed (sweep/trial_state.h)
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sweep/space.h"

namespace berth::sweep {

struct Trial {
  int index = 0;
  std::string name;                 // trial-000, ...: its directory under the sweep's
  std::vector<std::string> values;  // TOML text, one per Plan::keys entry
};

struct Plan {
  std::string base_config;  // absolute path of --config
  std::string space;        // absolute path of --space
  Method method = Method::kGrid;
  uint64_t seed = 0;
  std::vector<std::string> overrides;  // --set, applied to every trial before its values
  std::vector<std::string> keys;       // the swept config keys, in the space's order
  std::vector<Trial> trials;

  static Plan make(const Space& space, const std::string& base_config,
                   const std::vector<std::string>& overrides);
  std::string to_toml() const;
  // Throws berth::Error (data) naming the file when it is not a plan.
  static Plan read(const std::filesystem::path& sweep_toml);

  // The `--set` assignments that make trial `t`'s config from the base: the shared overrides,
  // its values, and its own run directory (checkpoints inside it).
  std::vector<std::string> assignments(const Trial& t, const std::filesystem::path& dir) const;
};

inline std::filesystem::path plan_path(const std::filesystem::path& dir) {
  return dir / "sweep.toml";
}
std::string trial_name(int index);

// The config's own loader: the resolved config as TOML for the base config plus `assignments`;
// throws berth::Error naming the offending key (trainer::TrainConfig, bound by the launcher).
using Resolver = std::function<std::string(const std::vector<std::string>& assignments)>;

// Every trial's config, each value checked alone first (so an error names the space file, the
// key and the trial) and then the trial whole. Nothing is written.
std::vector<std::string> resolve_trials(const Plan& plan, const Space& space,
                                        const std::filesystem::path& dir, const Resolver& resolve);

// Writes sweep.toml and each trial's config.toml. A directory holding another plan, or a trial
// config that differs from the new one, is refused (usage error naming --out).
void write_plan(const std::filesystem::path& dir, const Plan& plan,
                const std::vector<std::string>& configs);

}  // namespace berth::sweep
