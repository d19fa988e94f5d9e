#include "trainer/train_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string_view>
#include <variant>

#include "common/error.h"
#include "common/file_read.h"
#include "data/corpus.h"
#include "run_directory/run_layout.h"

namespace berth::trainer {

namespace {

// Whether a key may differ between the run that wrote a checkpoint and the run resuming it.
enum class OnResume { kMayChange, kMustMatch };

// Strings, numbers, booleans, and the settings with a closed set of names (read from strings).
using Value = std::variant<std::string*, int64_t*, double*, bool*, Precision*, Metric*, Schedule*,
                           Truncation*, StopSignal*, LogLevel*, DeviceSetting*, ClassWeights*>;

template <class T>
constexpr bool kIsName =
    std::is_same_v<T, Precision> || std::is_same_v<T, Metric> || std::is_same_v<T, Schedule> ||
    std::is_same_v<T, Truncation> || std::is_same_v<T, StopSignal> || std::is_same_v<T, LogLevel>;

// Written as a TOML string: the plain strings and the named settings.
bool is_text(const Value& v) {
  return !std::holds_alternative<int64_t*>(v) && !std::holds_alternative<double*>(v) &&
         !std::holds_alternative<bool*>(v);
}

struct Option {
  const char* key;  // "section.key"
  Value value;
  OnResume on_resume;
};

// The single declaration of every option: its key, where it lives, and its resume rule.
// Documentation of each key is in train_config.h and docs/configuration.md.
std::vector<Option> options(TrainConfig& c) {
  using R = OnResume;
  return {
      {"model.path", &c.model.path, R::kMustMatch},
      {"data.train", &c.data.train, R::kMustMatch},
      {"data.dev", &c.data.dev, R::kMayChange},
      {"data.test", &c.data.test, R::kMayChange},
      {"data.text_column", &c.data.text_column, R::kMustMatch},
      {"data.label_column", &c.data.label_column, R::kMustMatch},
      {"data.text_pair_column", &c.data.text_pair_column, R::kMustMatch},
      {"data.multi_label", &c.data.multi_label, R::kMustMatch},
      {"data.label_separator", &c.data.label_separator, R::kMustMatch},
      {"data.batch_size", &c.data.batch_size, R::kMustMatch},
      {"data.eval_batch_size", &c.data.eval_batch_size, R::kMayChange},
      {"data.max_length", &c.data.max_length, R::kMustMatch},
      {"data.truncation", &c.data.truncation, R::kMustMatch},
      {"data.head_tokens", &c.data.head_tokens, R::kMustMatch},
      {"data.length_bucketing", &c.data.length_bucketing, R::kMustMatch},
      {"data.bucket_batches", &c.data.bucket_batches, R::kMustMatch},
      {"data.cache_dir", &c.data.cache_dir, R::kMayChange},
      {"data.prefetch", &c.data.prefetch, R::kMayChange},
      {"optim.lr", &c.optim.lr, R::kMustMatch},
      {"optim.weight_decay", &c.optim.weight_decay, R::kMustMatch},
      {"optim.beta1", &c.optim.beta1, R::kMustMatch},
      {"optim.beta2", &c.optim.beta2, R::kMustMatch},
      {"optim.eps", &c.optim.eps, R::kMustMatch},
      {"optim.warmup_steps", &c.optim.warmup_steps, R::kMustMatch},
      {"optim.warmup_ratio", &c.optim.warmup_ratio, R::kMustMatch},
      {"optim.schedule", &c.optim.schedule, R::kMustMatch},
      {"optim.max_grad_norm", &c.optim.max_grad_norm, R::kMustMatch},
      {"optim.grad_accum", &c.optim.grad_accum, R::kMustMatch},
      {"optim.class_weights", &c.optim.class_weights, R::kMustMatch},
      {"optim.fused", &c.optim.fused, R::kMayChange},
      {"optim.layer_decay", &c.optim.layer_decay, R::kMustMatch},
      {"train.epochs", &c.train.epochs, R::kMayChange},
      {"train.max_steps", &c.train.max_steps, R::kMayChange},
      {"train.seed", &c.train.seed, R::kMustMatch},
      {"train.precision", &c.train.precision, R::kMustMatch},
      {"train.eval_every", &c.train.eval_every, R::kMayChange},
      {"train.log_every", &c.train.log_every, R::kMayChange},
      {"train.early_stopping_patience", &c.train.early_stopping_patience, R::kMayChange},
      {"train.metric", &c.train.metric, R::kMustMatch},
      {"train.tune_thresholds", &c.train.tune_thresholds, R::kMayChange},
      {"train.run_dir", &c.train.run_dir, R::kMayChange},
      {"train.deterministic", &c.train.deterministic, R::kMayChange},
      {"train.profile_step", &c.train.profile_step, R::kMayChange},
      {"train.ema_decay", &c.train.ema_decay, R::kMustMatch},
      {"train.label_smoothing", &c.train.label_smoothing, R::kMustMatch},
      {"distill.teacher", &c.distill.teacher, R::kMustMatch},
      {"distill.temperature", &c.distill.temperature, R::kMustMatch},
      {"distill.alpha", &c.distill.alpha, R::kMustMatch},
      {"checkpoint.dir", &c.checkpoint.dir, R::kMayChange},
      {"checkpoint.every_steps", &c.checkpoint.every_steps, R::kMayChange},
      {"checkpoint.every_minutes", &c.checkpoint.every_minutes, R::kMayChange},
      {"checkpoint.keep_last", &c.checkpoint.keep_last, R::kMayChange},
      {"checkpoint.keep_best", &c.checkpoint.keep_best, R::kMayChange},
      {"runtime.device", &c.runtime.device, R::kMayChange},
      {"runtime.threads", &c.runtime.threads, R::kMayChange},
      {"runtime.stop_signal", &c.runtime.stop_signal, R::kMayChange},
      {"runtime.comm_timeout_s", &c.runtime.comm_timeout_s, R::kMayChange},
      {"runtime.log_level", &c.runtime.log_level, R::kMayChange},
      {"runtime.cudnn_attention", &c.runtime.cudnn_attention, R::kMayChange},
      {"runtime.fast_dropout", &c.runtime.fast_dropout, R::kMayChange},
      {"runtime.cuda_graphs", &c.runtime.cuda_graphs, R::kMayChange},
      {"runtime.graph_length_multiple", &c.runtime.graph_length_multiple, R::kMayChange},
      {"runtime.graph_warmup_steps", &c.runtime.graph_warmup_steps, R::kMayChange},
  };
}

std::vector<Option> options(const TrainConfig& c) {
  return options(const_cast<TrainConfig&>(c));
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggest(const std::string& key, const std::vector<Option>& opts) {
  std::string best;
  size_t best_d = 4;  // only suggest close matches
  for (const auto& o : opts) {
    // The distance is at least the difference in length: a long mistyped key (a pasted line,
    // fuzzed bytes) is not compared cell by cell against every option.
    const size_t len = std::string_view(o.key).size();
    if ((key.size() > len ? key.size() - len : len - key.size()) >= best_d) continue;
    size_t d = edit_distance(key, o.key);
    if (d < best_d) best_d = d, best = o.key;
  }
  if (!best.empty()) return "did you mean '" + best + "'?";
  return "see docs/configuration.md for the keys each section accepts";
}

std::string type_name(const Value& v) {
  return std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) return "a string";
        if constexpr (kIsName<T> || std::is_same_v<T, DeviceSetting>) return "a string";
        if constexpr (std::is_same_v<T, ClassWeights>) return "a string or a list of numbers";
        if constexpr (std::is_same_v<T, int64_t>) return "an integer";
        if constexpr (std::is_same_v<T, double>) return "a number";
        return "true or false";
      },
      v);
}

std::string where(const toml::node& n, const std::string& origin) {
  const auto& src = n.source();
  if (src.begin.line == 0) return origin;
  return origin + ":" + std::to_string(src.begin.line);
}

// Sets one option from a TOML node; throws a usage error naming key and origin on a type mismatch.
void assign(const Option& opt, const toml::node& n, const std::string& origin) {
  bool ok = std::visit(
      [&](auto* p) -> bool {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (auto s = n.value_exact<std::string>()) return *p = *s, true;
          return false;
        } else if constexpr (std::is_same_v<T, ClassWeights>) {
          std::string text;
          if (auto s = n.value_exact<std::string>()) {
            text = *s;
          } else if (auto arr = n.as_array()) {  // a list of numbers, kept as "w1,w2,..."
            for (const auto& e : *arr) {
              auto d = e.value<double>();
              if (!d) return false;
              char buf[64];
              std::snprintf(buf, sizeof buf, "%.17g", *d);
              text += (text.empty() ? "" : ",") + std::string(buf);
            }
          } else {
            return false;
          }
          auto v = ClassWeights::parse(text);
          if (!v) {
            throw usage_error(
                "config", where(n, origin) + ": '" + opt.key + "' is '" + text + "'",
                "use \"none\", \"auto\" or a list of one non-negative weight per label, e.g. "
                "[1.0, 2.5]");
          }
          return *p = *v, true;
        } else if constexpr (kIsName<T>) {
          auto s = n.value_exact<std::string>();
          if (!s) return false;
          auto v = parse_choice<T>(*s);
          if (!v) {
            throw usage_error("config", where(n, origin) + ": '" + opt.key + "' is '" + *s + "'",
                              "use " + allowed_choices<T>());
          }
          return *p = *v, true;
        } else if constexpr (std::is_same_v<T, DeviceSetting>) {
          auto s = n.value_exact<std::string>();
          if (!s) return false;
          auto v = DeviceSetting::parse(*s);
          if (!v) {
            throw usage_error("config", where(n, origin) + ": '" + opt.key + "' is '" + *s + "'",
                              std::string("use ") + DeviceSetting::kAllowed);
          }
          return *p = *v, true;
        } else if constexpr (std::is_same_v<T, int64_t>) {
          if (auto v = n.value_exact<int64_t>()) return *p = *v, true;
          return false;
        } else if constexpr (std::is_same_v<T, double>) {
          if (auto v = n.value_exact<double>()) return *p = *v, true;
          if (auto v = n.value_exact<int64_t>()) return *p = static_cast<double>(*v), true;
          return false;
        } else {
          if (auto v = n.value_exact<bool>()) return *p = *v, true;
          return false;
        }
      },
      opt.value);
  if (!ok) {
    throw usage_error("config",
                      where(n, origin) + ": '" + opt.key + "' must be " + type_name(opt.value),
                      "fix the value's type (strings in quotes, numbers without)");
  }
}

const Option* find(const std::vector<Option>& opts, const std::string& key) {
  for (const auto& o : opts)
    if (key == o.key) return &o;
  return nullptr;
}

void apply_table(TrainConfig& c, const toml::table& root, const std::string& origin) {
  auto opts = options(c);
  for (const auto& [section, node] : root) {
    const auto* table = node.as_table();
    if (!table) {
      std::string key(section.str());
      throw usage_error("config", where(node, origin) + ": '" + key + "' is not a section",
                        "keys belong in sections such as [train]; " + suggest(key, opts));
    }
    for (const auto& [key, value] : *table) {
      std::string full = std::string(section.str()) + "." + std::string(key.str());
      const Option* opt = find(opts, full);
      if (!opt) {
        throw usage_error("config", where(value, origin) + ": unknown key '" + full + "'",
                          suggest(full, opts));
      }
      assign(*opt, value, origin);
    }
  }
}

void apply_override(TrainConfig& c, const std::string& assignment) {
  auto eq = assignment.find('=');
  std::string origin = "--set " + assignment;
  if (eq == std::string::npos || eq == 0) {
    throw usage_error("config", origin + ": expected section.key=value",
                      "for example --set train.max_steps=100");
  }
  std::string key = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  auto opts = options(c);
  const Option* opt = find(opts, key);
  if (!opt) throw usage_error("config", origin + ": unknown key '" + key + "'", suggest(key, opts));
  // The value in TOML syntax; a bare word that is not valid TOML is taken as a string, so that
  // --set runtime.device=cuda works without shell-quoted quotes.
  toml::table t;
  try {
    t = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    t = toml::table{{"v", value}};
  }
  if (is_text(opt->value) && !t["v"].is_string() && !t["v"].is_array()) {
    t = toml::table{{"v", value}};
  }
  assign(*opt, *t.get("v"), origin);
}

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {  // shortest text that reads back exactly
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s(buf);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string format_value(const Value& v) {
  return std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          std::ostringstream os;
          os << toml::value<std::string>(*p);
          return os.str();
        } else if constexpr (kIsName<T>) {
          return "\"" + to_string(*p) + "\"";
        } else if constexpr (std::is_same_v<T, DeviceSetting>) {
          return "\"" + p->str() + "\"";
        } else if constexpr (std::is_same_v<T, ClassWeights>) {
          std::ostringstream os;
          os << toml::value<std::string>(p->text);
          return os.str();
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(*p);
        } else if constexpr (std::is_same_v<T, double>) {
          return format_double(*p);
        } else {
          return *p ? "true" : "false";
        }
      },
      v);
}

}  // namespace

std::optional<ClassWeights> ClassWeights::parse(const std::string& text) {
  ClassWeights w;
  w.text = text;
  if (text == "none") return w;
  if (text == "auto") return w.kind = Kind::kAuto, w;
  w.kind = Kind::kGiven;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    double v = std::strtod(item.c_str(), &end);
    if (end == item.c_str() || !(v >= 0) || !std::isfinite(v)) return std::nullopt;
    w.given.push_back(v);
  }
  if (w.given.empty()) return std::nullopt;
  return w;
}

TrainConfig TrainConfig::parse(const std::string& toml_text, const std::string& origin,
                               const std::vector<std::string>& overrides) {
  TrainConfig c;
  try {
    auto root = toml::parse(toml_text, origin);
    apply_table(c, root, origin);
  } catch (const toml::parse_error& e) {
    throw usage_error("config",
                      origin + ":" + std::to_string(e.source().begin.line) + ":" +
                          std::to_string(e.source().begin.column) + ": " +
                          std::string(e.description()),
                      "the file is not valid TOML");
  }
  for (const auto& o : overrides) apply_override(c, o);
  c.validate(overrides.empty() ? origin : origin + " (with --set overrides)");
  return c;
}

TrainConfig TrainConfig::load(const std::string& path, const std::vector<std::string>& overrides) {
  const auto text = read_file(path);
  if (!text) {
    throw usage_error("config", "cannot read config file " + path,
                      "check the path given to --config; examples are in configs/");
  }
  return parse(*text, path, overrides);
}

void TrainConfig::validate(const std::string& origin) const {
  auto fail = [&](const std::string& key, const std::string& what, const std::string& hint) {
    throw usage_error("config", origin + ": '" + key + "' " + what, hint);
  };
  if (data.train.empty())
    fail("data.train", "is empty", "name a CSV/TSV/JSONL file or a .h5 corpus");
  if (model.path.empty()) fail("model.path", "is empty", "name a Hugging Face BERT directory");
  if (data.batch_size < 1) fail("data.batch_size", "must be at least 1", "typical: 16 to 64");
  if (data.eval_batch_size < 1) fail("data.eval_batch_size", "must be at least 1", "");
  if (data.max_length < 3 || data.max_length > 4096)
    fail("data.max_length", "must be between 3 and 4096", "BERT models usually allow up to 512");
  if (!data.text_pair_column.empty() && data.truncation != Truncation::kHead)
    fail("data.truncation", "is '" + to_string(data.truncation) + "' with text pairs",
         "pairs are cut longest_first (as transformers does): use \"head\"");
  if (data.head_tokens < -1 || data.head_tokens > data.max_length - 2)
    fail("data.head_tokens",
         "must be -1 (max_length / 4) or 0 to max_length - 2 = " +
             std::to_string(data.max_length - 2),
         "the word pieces head_tail keeps from the start; the rest come from the end");
  if (data.bucket_batches < 1) fail("data.bucket_batches", "must be at least 1", "");
  if (data.label_separator.empty())
    fail("data.label_separator", "is empty", "the default is \"|\"");
  // (A .h5 corpus carries its own kind: checked when it is opened.)
  if (train.tune_thresholds && !data.multi_label && !data::is_corpus(data.train))
    fail("train.tune_thresholds", "is set for a single-label run",
         "set data.multi_label = true (thresholds are per label of a multi-label model)");
  if (!(optim.lr > 0) || !std::isfinite(optim.lr))
    fail("optim.lr", "must be a positive number", "typical: 2e-5 to 1e-4");
  if (!(optim.weight_decay >= 0)) fail("optim.weight_decay", "must be >= 0", "typical: 0.01");
  if (!(optim.beta1 >= 0 && optim.beta1 < 1)) fail("optim.beta1", "must be in [0, 1)", "0.9");
  if (!(optim.beta2 >= 0 && optim.beta2 < 1)) fail("optim.beta2", "must be in [0, 1)", "0.999");
  if (!(optim.eps > 0)) fail("optim.eps", "must be > 0", "1e-8");
  if (optim.warmup_steps < -1) fail("optim.warmup_steps", "must be >= 0 (or -1 for the ratio)", "");
  if (!(optim.warmup_ratio >= 0 && optim.warmup_ratio <= 1))
    fail("optim.warmup_ratio", "must be in [0, 1]", "typical: 0.1");
  if (!(optim.max_grad_norm >= 0)) fail("optim.max_grad_norm", "must be >= 0 (0 = off)", "1.0");
  if (optim.grad_accum < 1) fail("optim.grad_accum", "must be at least 1", "");
  if (!(optim.layer_decay > 0 && optim.layer_decay <= 1))
    fail("optim.layer_decay", "must be in (0, 1] (1 = off)", "typical: 0.75 to 0.95");
  if (!(train.ema_decay >= 0 && train.ema_decay < 1))
    fail("train.ema_decay", "must be in [0, 1) (0 = off)", "typical: 0.999");
  if (!(train.label_smoothing >= 0 && train.label_smoothing < 1))
    fail("train.label_smoothing", "must be in [0, 1) (0 = off)", "typical: 0.1");
  if (!(distill.temperature > 0) || !std::isfinite(distill.temperature))
    fail("distill.temperature", "must be a positive number", "typical: 1 to 4 (default 2)");
  if (!(distill.alpha >= 0 && distill.alpha <= 1))
    fail("distill.alpha", "must be in [0, 1]", "the weight of the teacher term; default 0.5");
  if (train.epochs < 1 && train.max_steps < 1)
    fail("train.epochs", "must be at least 1 unless train.max_steps is set", "");
  if (train.max_steps == 0 || train.max_steps < -1)
    fail("train.max_steps", "must be positive (or -1: epochs decide)", "");
  if (train.eval_every < 0) fail("train.eval_every", "must be >= 0 (0 = epoch ends)", "");
  if (train.log_every < 1) fail("train.log_every", "must be at least 1", "");
  if (train.early_stopping_patience < 0) fail("train.early_stopping_patience", "must be >= 0", "");
  if (train.profile_step < 0)
    fail("train.profile_step", "must be >= 0 (0 = off)", "e.g. --set train.profile_step=20");
  if (train.run_dir.empty()) fail("train.run_dir", "is empty", "e.g. runs/sst2");
  if (checkpoint.every_steps < 0) fail("checkpoint.every_steps", "must be >= 0 (0 = off)", "");
  if (!(checkpoint.every_minutes >= 0)) fail("checkpoint.every_minutes", "must be >= 0", "");
  if (checkpoint.keep_last < 0) fail("checkpoint.keep_last", "must be >= 0 (0 = all)", "");
  if (checkpoint.keep_best < 0) fail("checkpoint.keep_best", "must be >= 0", "");
  if (runtime.threads < 0) fail("runtime.threads", "must be >= 0 (0 = automatic)", "");
  if (runtime.graph_length_multiple < 1 || runtime.graph_length_multiple > 512)
    fail("runtime.graph_length_multiple", "must be between 1 and 512",
         "8 or 16: each multiple up to data.max_length is one captured graph");
  if (runtime.graph_warmup_steps < 1)
    fail("runtime.graph_warmup_steps", "must be at least 1",
         "a shape runs eagerly at least once before its capture (lazy CUDA initialisation)");
  if (!(runtime.comm_timeout_s > 0)) fail("runtime.comm_timeout_s", "must be > 0", "e.g. 300");
}

std::string TrainConfig::to_toml() const {
  std::ostringstream os;
  std::string section;
  for (const auto& o : options(*this)) {
    std::string key = o.key;
    auto dot = key.find('.');
    std::string s = key.substr(0, dot);
    if (s != section) {
      os << (section.empty() ? "" : "\n") << "[" << s << "]\n";
      section = s;
    }
    os << key.substr(dot + 1) << " = " << format_value(o.value) << "\n";
  }
  return os.str();
}

std::string TrainConfig::hash() const {
  // FNV-1a 64: a stable fingerprint of the resolved config (identity, not security).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : to_toml()) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string TrainConfig::checkpoint_dir() const {
  return run_directory::RunLayout(train.run_dir, checkpoint.dir).checkpoints().string();
}

ConfigDiff compare(const TrainConfig& saved, const TrainConfig& current) {
  ConfigDiff d;
  auto a = options(saved);
  auto b = options(current);
  for (size_t i = 0; i < a.size(); ++i) {
    std::string va = format_value(a[i].value), vb = format_value(b[i].value);
    if (va == vb) continue;
    std::string line = std::string(a[i].key) + ": " + va + " -> " + vb;
    (a[i].on_resume == OnResume::kMayChange ? d.harmless : d.incompatible).push_back(line);
  }
  return d;
}

}  // namespace berth::trainer
