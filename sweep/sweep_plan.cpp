#include "sweep/sweep_plan.h"

#include <toml++/toml.h>

#include <cstdio>
#include <sstream>

#include "common/durable_fs.h"
#include "common/error.h"
#include "common/file_read.h"

namespace berth::sweep {
namespace fs = std::filesystem;

namespace {

std::string quoted(const std::string& s) {
  std::ostringstream os;
  os << toml::value<std::string>(s);
  return os.str();
}

std::string string_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + quoted(items[i]);
  return out + "]";
}

std::vector<std::string> read_strings(const toml::table& t, const char* key,
                                      const std::string& origin) {
  std::vector<std::string> out;
  const auto* a = t[key].as_array();
  if (a == nullptr) throw data_error("sweep", origin + ": '" + key + "' is not a list");
  for (const auto& v : *a) {
    auto s = v.value_exact<std::string>();
    if (!s) throw data_error("sweep", origin + ": '" + key + "' holds a non-string");
    out.push_back(*s);
  }
  return out;
}

const char* kOutHint = "give another --out, or remove the directory to start the sweep afresh";

}  // namespace

std::string trial_name(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "trial-%03d", index);
  return buf;
}

Plan Plan::make(const Space& space, const std::string& base_config,
                const std::vector<std::string>& overrides) {
  Plan p;
  p.base_config = fs::absolute(base_config).lexically_normal().string();
  p.space = fs::absolute(space.path).lexically_normal().string();
  p.method = space.method;
  p.seed = space.seed;
  p.overrides = overrides;
  for (const auto& param : space.params) p.keys.push_back(param.key);
  const auto expanded = space.expand();
  for (size_t i = 0; i < expanded.size(); ++i) {
    Trial t;
    t.index = static_cast<int>(i);
    t.name = trial_name(t.index);
    for (const auto& a : expanded[i]) t.values.push_back(a.value);
    p.trials.push_back(std::move(t));
  }
  return p;
}

std::string Plan::to_toml() const {
  std::ostringstream os;
  os << "# berth sweep's plan: rerunning the same sweep reads it back (docs/sweeps.md)\n"
     << "base_config = " << quoted(base_config) << "\n"
     << "space = " << quoted(space) << "\n"
     << "method = \"" << to_string(method) << "\"\n"
     << "seed = " << seed << "\n"
     << "overrides = " << string_list(overrides) << "\n"
     << "keys = " << string_list(keys) << "\n";
  for (const auto& t : trials)
    os << "\n[[trial]]\nname = " << quoted(t.name) << "\nvalues = " << string_list(t.values)
       << "\n";
  return os.str();
}

Plan Plan::read(const fs::path& sweep_toml) {
  const std::string origin = sweep_toml.string();
  auto text = read_file(sweep_toml);
  if (!text)
    throw data_error("sweep", "no sweep plan at " + origin,
                     "give the --out directory of a `berth sweep`");
  toml::table root;
  try {
    root = toml::parse(*text, origin);
  } catch (const toml::parse_error& e) {
    throw data_error("sweep", origin + ": " + std::string(e.description()),
                     "the plan is written by `berth sweep`; rerun it to rewrite the file");
  }
  Plan p;
  p.base_config = root["base_config"].value_or(std::string());
  p.space = root["space"].value_or(std::string());
  auto method = parse_choice<Method>(root["method"].value_or(std::string()));
  if (!method) throw data_error("sweep", origin + ": 'method' is missing or unknown");
  p.method = *method;
  p.seed = static_cast<uint64_t>(root["seed"].value_or(int64_t{0}));
  p.overrides = read_strings(root, "overrides", origin);
  p.keys = read_strings(root, "keys", origin);
  if (const auto* trials = root["trial"].as_array()) {
    for (const auto& node : *trials) {
      const auto* t = node.as_table();
      if (t == nullptr) throw data_error("sweep", origin + ": a [[trial]] is not a table");
      Trial trial;
      trial.index = static_cast<int>(p.trials.size());
      trial.name = (*t)["name"].value_or(trial_name(trial.index));
      trial.values = read_strings(*t, "values", origin);
      if (trial.values.size() != p.keys.size())
        throw data_error("sweep", origin + ": " + trial.name + " has " +
                                      std::to_string(trial.values.size()) + " values for " +
                                      std::to_string(p.keys.size()) + " keys");
      p.trials.push_back(std::move(trial));
    }
  }
  return p;
}

std::vector<std::string> Plan::assignments(const Trial& t, const fs::path& dir) const {
  std::vector<std::string> out = overrides;
  for (size_t i = 0; i < keys.size(); ++i) out.push_back(keys[i] + "=" + t.values[i]);
  const auto run_dir = fs::absolute(dir / t.name).lexically_normal().string();
  // Each trial its own run directory, with its checkpoints inside it: a base config's
  // checkpoint.dir would have every trial resume from the others' checkpoints.
  out.push_back("train.run_dir=" + quoted(run_dir));
  out.push_back("checkpoint.dir=\"\"");
  return out;
}

std::vector<std::string> resolve_trials(const Plan& plan, const Space& space, const fs::path& dir,
                                        const Resolver& resolve) {
  std::vector<std::string> configs;
  for (const auto& t : plan.trials) {
    for (size_t i = 0; i < plan.keys.size(); ++i) {
      auto one = plan.overrides;
      one.push_back(plan.keys[i] + "=" + t.values[i]);
      try {
        resolve(one);
      } catch (const Error& e) {
        const int line = i < space.params.size() ? space.params[i].line : 0;
        throw usage_error("sweep",
                          space.path + (line > 0 ? ":" + std::to_string(line) : "") + ": '" +
                              plan.keys[i] + "' = " + t.values[i] + " (" + t.name +
                              ") is not a valid config value: " + e.message(),
                          e.hint().empty() ? "fix the value in the space file" : e.hint());
      }
    }
    try {
      configs.push_back(resolve(plan.assignments(t, dir)));
    } catch (const Error& e) {
      throw usage_error("sweep", space.path + ": " + t.name + "'s values together: " + e.message(),
                        e.hint());
    }
  }
  return configs;
}

void write_plan(const fs::path& dir, const Plan& plan, const std::vector<std::string>& configs) {
  const durable::Blame blame{"sweep", ExitCode::kUsage};
  const auto text = plan.to_toml();
  if (auto old = read_file(plan_path(dir)); old && *old != text) {
    throw usage_error("sweep",
                      plan_path(dir).string() +
                          " holds another sweep (other base config, space, values or --set)",
                      kOutHint);
  }
  fs::create_directories(dir);
  for (size_t i = 0; i < plan.trials.size(); ++i) {
    const auto trial_dir = dir / plan.trials[i].name;
    const auto config = trial_dir / "config.toml";
    if (auto old = read_file(config); old && *old != configs[i]) {
      throw usage_error("sweep",
                        config.string() +
                            " differs from the config this sweep makes now (was the base config "
                            "edited?): the trial's checkpoints belong to the old one",
                        kOutHint);
    }
    fs::create_directories(trial_dir);
    durable::write_file_atomically(config, configs[i], blame);
  }
  durable::write_file_atomically(plan_path(dir), text, blame);
}

}  // namespace berth::sweep
