#include "sweep/space.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>

#include "common/error.h"
#include "common/file_read.h"

namespace berth::sweep {
namespace {

std::string where(const toml::node& n, const std::string& origin) {
  const auto& src = n.source();
  return src.begin.line == 0 ? origin : origin + ":" + std::to_string(src.begin.line);
}

const char* kShape =
    "see README.md, \"Sweeps\": [params] maps config keys to lists, or (method = \"random\") to "
    "{ distribution = \"uniform\" | \"log_uniform\", min = ..., max = ... }";

// A value as the TOML text a `--set` assignment takes.
std::string toml_text(const toml::node& n, const std::string& origin, const std::string& key) {
  if (auto d = n.value_exact<double>()) return toml_double(*d);
  if (auto i = n.value_exact<int64_t>()) return std::to_string(*i);
  if (auto b = n.value_exact<bool>()) return *b ? "true" : "false";
  if (n.is_string() || n.is_array()) {
    std::ostringstream os;
    if (n.is_string())
      os << toml::value<std::string>(*n.value_exact<std::string>());
    else
      os << *n.as_array();
    return os.str();
  }
  throw usage_error("sweep", where(n, origin) + ": '" + key + "' has a value of an unusable type",
                    "give numbers, strings, booleans or lists of them");
}

double number(const toml::table& t, const char* name, const std::string& origin,
              const std::string& key, bool* integer) {
  const toml::node* n = t.get(name);
  if (n == nullptr)
    throw usage_error("sweep", where(t, origin) + ": '" + key + "' has no " + name, kShape);
  if (auto i = n->value_exact<int64_t>()) return static_cast<double>(*i);
  *integer = false;
  if (auto d = n->value_exact<double>()) return *d;
  throw usage_error("sweep", where(*n, origin) + ": '" + key + "." + name + "' must be a number",
                    kShape);
}

Param distribution_param(const std::string& key, const toml::table& t, const std::string& origin) {
  Param p;
  p.key = key;
  p.line = static_cast<int>(t.source().begin.line);
  auto name = t["distribution"].value_exact<std::string>();
  auto d = name ? parse_choice<Distribution>(*name) : std::nullopt;
  if (!d) {
    throw usage_error("sweep",
                      where(t, origin) + ": '" + key + ".distribution' is '" +
                          name.value_or("not a string") + "'",
                      "use " + allowed_choices<Distribution>());
  }
  p.distribution = *d;
  for (const auto& [k, v] : t) {
    const std::string field(k.str());
    const bool known =
        field == "distribution" ||
        (*d == Distribution::kChoice ? field == "values" : field == "min" || field == "max");
    if (!known)
      throw usage_error("sweep", where(v, origin) + ": unknown field '" + key + "." + field + "'",
                        kShape);
  }
  if (*d == Distribution::kChoice) {
    const auto* values = t["values"].as_array();
    if (values == nullptr || values->empty())
      throw usage_error("sweep", where(t, origin) + ": '" + key + ".values' must be a list",
                        "choice draws one of `values`, e.g. values = [1, 2, 3]");
    for (const auto& v : *values) p.values.push_back(toml_text(v, origin, key));
    return p;
  }
  p.integer = true;
  p.min = number(t, "min", origin, key, &p.integer);
  p.max = number(t, "max", origin, key, &p.integer);
  if (!(p.min <= p.max) || !std::isfinite(p.min) || !std::isfinite(p.max))
    throw usage_error("sweep", where(t, origin) + ": '" + key + "' has min > max",
                      "give min <= max");
  if (*d == Distribution::kLogUniform && !(p.min > 0))
    throw usage_error("sweep", where(t, origin) + ": '" + key + "' is log_uniform with min <= 0",
                      "log_uniform needs 0 < min <= max (use uniform for ranges through 0)");
  return p;
}

// [params] and its sub-tables: a table with a `distribution` is one parameter, any other table a
// section whose keys continue the dotted name.
void collect(const toml::table& t, const std::string& prefix, const std::string& origin,
             std::vector<Param>& out) {
  for (const auto& [k, node] : t) {
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      if (sub->contains("distribution"))
        out.push_back(distribution_param(key, *sub, origin));
      else
        collect(*sub, key, origin, out);
      continue;
    }
    Param p;
    p.key = key;
    p.line = static_cast<int>(node.source().begin.line);
    if (const auto* list = node.as_array()) {
      if (list->empty())
        throw usage_error("sweep", where(node, origin) + ": '" + key + "' is an empty list",
                          "give at least one value, or leave the key out");
      for (const auto& v : *list) p.values.push_back(toml_text(v, origin, key));
    } else {
      p.values.push_back(toml_text(node, origin, key));  // a fixed value for every trial
    }
    out.push_back(std::move(p));
  }
}

// A uniform double in [0, 1) from 53 bits of the generator: std::uniform_real_distribution is
// not the same across standard libraries, mt19937_64 is.
double unit(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1.0p-53;
}

std::string draw(const Param& p, std::mt19937_64& g) {
  const double u = unit(g);
  switch (p.distribution) {
    case Distribution::kChoice: {
      auto i = static_cast<size_t>(u * static_cast<double>(p.values.size()));
      return p.values[std::min(i, p.values.size() - 1)];
    }
    case Distribution::kUniform:
      if (p.integer) {
        auto v =
            static_cast<int64_t>(p.min) + static_cast<int64_t>(std::floor(u * (p.max - p.min + 1)));
        return std::to_string(std::min(v, static_cast<int64_t>(p.max)));
      }
      return toml_double(p.min + u * (p.max - p.min));
    case Distribution::kLogUniform: {
      double v = std::exp(std::log(p.min) + u * (std::log(p.max) - std::log(p.min)));
      v = std::min(std::max(v, p.min), p.max);
      if (p.integer) return std::to_string(static_cast<int64_t>(std::llround(v)));
      return toml_double(v);
    }
  }
  return {};
}

}  // namespace

std::string toml_double(double v) {
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {  // shortest text that reads back exactly
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s(buf);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";  // TOML: a float, not an integer
  return s;
}

Space Space::load(const std::string& path) {
  auto text = read_file(path);
  if (!text)
    throw usage_error("sweep", "cannot read the space file " + path,
                      "check --space; configs/sweep-sst2.toml is an example");
  return parse(*text, path);
}

Space Space::parse(const std::string& toml_text, const std::string& origin) {
  Space s;
  s.path = origin;
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    throw usage_error(
        "sweep",
        origin + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()),
        "the space file is not valid TOML");
  }
  bool has_trials = false, has_seed = false;
  for (const auto& [k, node] : root) {
    const std::string key(k.str());
    if (key == "method") {
      auto name = node.value_exact<std::string>();
      auto m = name ? parse_choice<Method>(*name) : std::nullopt;
      if (!m)
        throw usage_error(
            "sweep", where(node, origin) + ": 'method' is '" + name.value_or("not a string") + "'",
            "use " + allowed_choices<Method>());
      s.method = *m;
    } else if (key == "trials") {
      auto n = node.value_exact<int64_t>();
      if (!n || *n < 1)
        throw usage_error("sweep", where(node, origin) + ": 'trials' must be an integer >= 1",
                          "random sweeps draw `trials` configurations, e.g. trials = 8");
      s.trials = *n;
      has_trials = true;
    } else if (key == "seed") {
      auto n = node.value_exact<int64_t>();
      if (!n || *n < 0)
        throw usage_error("sweep", where(node, origin) + ": 'seed' must be an integer >= 0",
                          "the sweep's own seed (train.seed is a parameter like any other)");
      s.seed = static_cast<uint64_t>(*n);
      has_seed = true;
    } else if (key == "params") {
      const auto* t = node.as_table();
      if (t == nullptr)
        throw usage_error("sweep", where(node, origin) + ": 'params' must be a table", kShape);
      collect(*t, "", origin, s.params);
      // toml++ iterates tables by key; a trial lists its values in the order the file does.
      std::stable_sort(s.params.begin(), s.params.end(),
                       [](const Param& a, const Param& b) { return a.line < b.line; });
    } else {
      throw usage_error("sweep", where(node, origin) + ": unknown key '" + key + "'",
                        "the top level takes method, trials, seed and [params]; config keys go "
                        "under [params]");
    }
  }
  if (s.params.empty())
    throw usage_error(
        "sweep", origin + ": no [params]",
        "list the config keys to vary under [params], e.g. \"optim.lr\" = [2e-5, 5e-5]");
  if (s.method == Method::kRandom && !has_trials)
    throw usage_error("sweep", origin + ": method = \"random\" without 'trials'",
                      "say how many configurations to draw, e.g. trials = 8");
  if (s.method == Method::kGrid) {
    if (has_trials || has_seed)
      throw usage_error("sweep", origin + ": 'trials' and 'seed' are for method = \"random\"",
                        "a grid runs every combination of the lists; remove them");
    for (const auto& p : s.params)
      if (p.distribution != Distribution::kChoice)
        throw usage_error(
            "sweep",
            origin + ":" + std::to_string(p.line) + ": '" + p.key + "' is a distribution in a grid",
            "a grid takes lists; set method = \"random\" to draw from ranges");
  }
  return s;
}

std::vector<TrialValues> Space::expand() const {
  std::vector<TrialValues> out;
  if (method == Method::kGrid) {
    std::vector<size_t> index(params.size(), 0);
    while (true) {
      TrialValues t;
      for (size_t i = 0; i < params.size(); ++i)
        t.push_back({params[i].key, params[i].values[index[i]]});
      out.push_back(std::move(t));
      size_t i = params.size();
      while (i > 0 && ++index[i - 1] == params[i - 1].values.size()) index[--i] = 0;
      if (i == 0) break;
    }
    return out;
  }
  std::mt19937_64 g(seed);
  for (int64_t n = 0; n < trials; ++n) {
    TrialValues t;
    for (const auto& p : params) t.push_back({p.key, draw(p, g)});
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace berth::sweep
