#include "model/pretrained.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "common/durable_fs.h"
#include "common/error.h"
#include "common/file_read.h"
#include "common/log.h"
#include "model/bert_layers.h"
#include "model/classifier_factory.h"
#include "model/modernbert_model.h"
#include "model/safetensors.h"

namespace berth::model {

namespace fs = std::filesystem;

namespace {

std::string shape_string(at::IntArrayRef s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

std::string join_names(const std::vector<std::string>& names, size_t max_shown = 12) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < max_shown; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > max_shown) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s;
}

bool starts_with(const std::string& s, const std::string& p) {
  return s.rfind(p, 0) == 0;
}

// A checkpoint tensor and the parameter it fills.
struct WeightCopy {
  std::string name;
  at::Tensor param;
};

// The copies out of the mapped file on two threads, about half the bytes each: they are memcpy
// and first touches of fresh pages, bound by one core's memory traffic and page faults, and in
// a CPU predict's start-up the second core is otherwise idle once the tokenizer has loaded
// (BENCHMARKS.md, "Fifth round", start-up). Plain threads, no OpenMP region: no spinning worker
// is left behind. Small models stay on one thread.
void copy_weights(const SafetensorsFile& file, std::vector<WeightCopy>& copies) {
  constexpr int64_t kTwoThreadsFrom = 16 << 20;  // bytes
  int64_t total = 0;
  for (const auto& c : copies) total += c.param.nbytes();
  // The other thread takes copies from the end while each one's middle lies within the first
  // half of the bytes from the end.
  size_t split = copies.size();
  if (total >= kTwoThreadsFrom && std::thread::hardware_concurrency() >= 2) {
    int64_t tail = 0;
    while (split > 0 && 2 * tail + copies[split - 1].param.nbytes() <= total)
      tail += copies[--split].param.nbytes();
  }
  auto copy_range = [&](size_t begin, size_t end) {
    at::NoGradGuard no_grad;  // grad mode is per thread; a widening copy_ is in place
    for (size_t i = begin; i < end; ++i) file.load_into(copies[i].name, copies[i].param);
  };
  if (split == copies.size()) return copy_range(0, split);
  // std::async's future joins on destruction, also when the first range throws.
  auto other = std::async(std::launch::async, copy_range, split, copies.size());
  copy_range(0, split);
  other.get();
}

// Maps checkpoint keys to the classifier's parameter names.
class KeyMap {
 public:
  explicit KeyMap(SequenceClassifier& model) : prefix_(base_model_prefix(model.family())) {
    for (auto& child : model.named_children()) {
      top_.insert(child.key());
      if (child.key() == prefix_)
        for (auto& part : child.value()->named_children()) base_.insert(part.key());
    }
  }

  // The name a checkpoint key has in the family's *ForSequenceClassification, or "" when it
  // belongs to something Berth does not model (an MLM head, BERT's pooler under RoBERTa, ...).
  std::string normalise(std::string k) const {
    // TF-era LayerNorm parameter names, still found in some old checkpoints.
    auto replace_suffix = [&](const std::string& from, const std::string& to) {
      if (k.size() >= from.size() && k.compare(k.size() - from.size(), from.size(), from) == 0)
        k = k.substr(0, k.size() - from.size()) + to;
    };
    replace_suffix("LayerNorm.gamma", "LayerNorm.weight");
    replace_suffix("LayerNorm.beta", "LayerNorm.bias");
    const std::string first = k.substr(0, k.find('.'));
    if (top_.count(first)) return k;
    // A bare base model (e.g. sentence-transformers checkpoints) has no "bert." prefix.
    if (base_.count(first)) return prefix_ + "." + k;
    return "";
  }

  // Buffers older transformers versions saved; HF ignores them silently, so do we.
  bool ignorable_buffer(const std::string& normalised) const {
    return normalised == prefix_ + ".embeddings.position_ids" ||
           normalised == prefix_ + ".embeddings.token_type_ids";
  }

 private:
  std::string prefix_;
  std::set<std::string> top_, base_;  // the classifier's children, its base model's children
};

bool under_any(const std::string& name, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (starts_with(name, p + ".")) return true;
  return false;
}

[[noreturn]] void missing_weights_file(const fs::path& dir) {
  std::string found;
  for (const char* f : {"pytorch_model.bin", "model.safetensors.index.json",
                        "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack"})
    if (fs::exists(dir / f)) found += std::string(found.empty() ? "" : ", ") + f;
  const bool sharded = fs::exists(dir / "model.safetensors.index.json") ||
                       fs::exists(dir / "pytorch_model.bin.index.json");
  std::string what = "no model.safetensors in " + dir.string();
  if (!found.empty()) what += " (found " + found + ")";
  if (sharded) what += ": sharded weights are not supported";
  throw model_error(
      "model", what,
      std::string(kSupportedModels) +
          " (pytorch_model.bin, TensorFlow, Flax and sharded files are not read); convert once "
          "with: python -c \"from transformers import AutoModel; m = AutoModel.from_pretrained('" +
          dir.string() + "'); m.save_pretrained('" + dir.string() +
          "', safe_serialization=True, max_shard_size='100GB')\"");
}

// Checkpoints whose config.json makes transformers compute something else than a single-label
// classifier: loading them as one would give numbers that mean something else.
void refuse_other_problem_types(const ModelConfig& config, const fs::path& dir,
                                bool num_labels_given) {
  const std::string source = (dir / "config.json").string();
  if (config.problem_type == ProblemType::kRegression)
    throw model_error("model",
                      source +
                          ": problem_type \"regression\" is not supported (transformers "
                          "computes a mean-squared-error regression with this model)",
                      std::string(kSupportedModels) +
                          "; to fine-tune this encoder as a classifier, remove problem_type "
                          "from its config.json");
  // transformers reads one label with problem_type null as regression too; a base model that
  // names one label (bge-small-en-v1.5 does) is fine when fine-tuning sets the label count.
  if (!num_labels_given && !config.problem_type && config.num_labels() == 1)
    throw model_error("model",
                      source +
                          ": one label (id2label or num_labels) makes transformers treat "
                          "the model as a regression",
                      std::string(kSupportedModels) +
                          " with two or more labels; fine-tune it with berth train first");
}

// The model directory's files go through common's one durable writer (temporary, fsync,
// rename, fsync of the directory), as the checkpoint protocol's do.
void write_file_atomically(const fs::path& path, const std::string& content) {
  durable::write_file_atomically(path, content, {"model", ExitCode::kModel});
}

std::string read_whole(const fs::path& p) {
  auto text = read_file(p);
  if (!text) throw model_error("model", "cannot read " + p.string());
  return *std::move(text);
}

}  // namespace

const std::vector<std::string>& tokenizer_file_names() {
  // WordPiece (vocab.txt), byte-level BPE (vocab.json, merges.txt: RoBERTa) and SentencePiece
  // (XLM-R's sentencepiece.bpe.model) vocabularies, and the fast tokenizer's one file.
  static const std::vector<std::string> names = {
      "vocab.txt",  "tokenizer.json", "tokenizer_config.json",  "special_tokens_map.json",
      "vocab.json", "merges.txt",     "sentencepiece.bpe.model"};
  return names;
}

LoadedClassifier load_classifier(const std::string& dir_str, const LoadOptions& options,
                                 const c10::Device& device) {
  const auto logger = log::get("model");
  const fs::path dir(dir_str);
  if (!fs::is_directory(dir))
    throw model_error("model", "model directory " + dir_str + " does not exist",
                      "pass a Hugging Face model directory (config.json, model.safetensors)");
  const fs::path weights = dir / "model.safetensors";
  if (!fs::exists(weights)) missing_weights_file(dir);

  LoadedClassifier out;
  out.config = ModelConfig::from_file((dir / "config.json").string());
  ModelConfig& config = out.config;
  refuse_other_problem_types(config, dir, options.num_labels.has_value());
  const int64_t num_labels = options.num_labels.value_or(config.num_labels());
  if (num_labels <= 0)
    throw usage_error("model", "num_labels must be positive, got " + std::to_string(num_labels));
  if (static_cast<int64_t>(config.label_names.size()) != num_labels)
    config.label_names = default_label_names(num_labels);
  out.label_names = config.label_names;

  SafetensorsFile file(weights.string());
  auto model = make_classifier(config, num_labels);
  if (options.before_weights) options.before_weights(*model);
  const KeyMap keys(*model);
  const auto head = model->head_prefixes();
  const auto optional_parts = model->optional_prefixes();
  const std::string architecture = sequence_classifier_architecture(config.family);

  // Checkpoint names by the parameter they fill.
  std::map<std::string, std::string> source_of;
  std::vector<std::string> unexpected;
  for (const auto& e : file.entries()) {
    std::string n = keys.normalise(e.name);
    if (n.empty()) {
      unexpected.push_back(e.name);
    } else if (keys.ignorable_buffer(n)) {
      continue;
    } else if (!source_of.emplace(n, e.name).second) {
      logger->warn("{}: \"{}\" and \"{}\" both map to {}; using the first", weights.string(),
                   source_of[n], e.name, n);
    }
  }

  std::vector<std::string> missing;
  std::set<std::string> used;
  std::vector<WeightCopy> copies;
  bool head_discarded = false;
  {
    at::NoGradGuard no_grad;
    for (auto& item : model->named_parameters(/*recurse=*/true)) {
      const std::string& name = item.key();
      at::Tensor& param = item.value();
      auto it = source_of.find(name);
      if (it == source_of.end()) {
        missing.push_back(name);
        continue;
      }
      used.insert(name);
      const SafetensorsEntry* e = file.find(it->second);
      if (!at::IntArrayRef(e->shape).equals(param.sizes())) {
        if (under_any(name, head) && options.num_labels) {
          // The caller asked for a different label set than the stored head was trained on.
          head_discarded = true;
          missing.push_back(name);
          continue;
        }
        throw model_error("model",
                          weights.string() + ": tensor \"" + it->second + "\" has shape " +
                              shape_string(e->shape) + " but the model built from config.json " +
                              "expects " + shape_string(param.sizes()) + " for " + name,
                          "config.json and model.safetensors do not belong together");
      }
      copies.push_back({it->second, param});
    }
  }
  copy_weights(file, copies);
  for (auto& [n, src] : source_of)
    if (!used.count(n)) unexpected.push_back(src);

  // Only the heads on top of the encoder may be missing: they are what fine-tuning trains.
  std::vector<std::string> missing_encoder;
  std::set<std::string> missing_set;
  for (auto& n : missing) {
    if (under_any(n, head) || under_any(n, optional_parts))
      missing_set.insert(n);
    else
      missing_encoder.push_back(n);
  }
  if (!missing_encoder.empty())
    throw model_error("model",
                      weights.string() + " lacks encoder weights: " + join_names(missing_encoder),
                      std::string("is this a ") + model_type_of(config.family) +
                          " checkpoint matching config.json?");

  // Each linear map with a missing parameter is initialised whole, in module order (BERT's
  // pooler before the head), so that a seeded load draws the same numbers every time.
  std::optional<at::Generator> gen;
  if (options.init_seed) gen = at::detail::createCPUGenerator(*options.init_seed);
  std::vector<std::string> fresh_head, fresh_base;
  for (auto& item : model->named_modules()) {
    auto dense = std::dynamic_pointer_cast<Dense>(item.value());
    const std::string& m = item.key();
    if (!dense || !(missing_set.count(m + ".weight") || missing_set.count(m + ".bias"))) continue;
    dense->reset(config.initializer_range, gen);
    (under_any(m + ".weight", head) ? fresh_head : fresh_base).push_back(m);
    out.newly_initialised.push_back(m + ".weight");
    out.newly_initialised.push_back(m + ".bias");
  }
  // ModernBERT's head (dense + norm, layers of its own kind) is what a bare ModernBertModel lacks;
  // its classifier is initialised as HF does, N(0, hidden^-1/2) truncated, not N(0, 0.02).
  if (auto modern = std::dynamic_pointer_cast<ModernBertClassifier>(model)) {
    if (!fresh_head.empty()) modern->reset_classifier(gen);
    bool lacks_head = false;
    for (auto& p : modern->head->named_parameters())
      lacks_head |= missing_set.count("head." + p.key());
    if (lacks_head) {
      modern->reset_head(gen);
      fresh_base.push_back("head");
      for (auto& p : modern->head->named_parameters())
        out.newly_initialised.push_back("head." + p.key());
    }
  }
  if (!fresh_base.empty())
    logger->warn(
        "{}: no weights for {}; initialised randomly (fine-tune before relying on the pooled "
        "output)",
        weights.string(), join_names(fresh_base));
  if (!fresh_head.empty()) {
    if (head_discarded)
      logger->warn(
          "{}: stored classifier head does not have {} labels; discarded and initialised anew",
          weights.string(), num_labels);
    else
      logger->info("{}: no classifier head; initialised a new one with {} labels", weights.string(),
                   num_labels);
  }
  if (!unexpected.empty())
    logger->info("{}: {} tensor(s) not used by {}: {}", weights.string(), unexpected.size(),
                 architecture, join_names(unexpected));

  model->to(device);
  model->eval();
  out.model = std::move(model);
  return out;
}

void save_pretrained(const std::string& dir_str, SequenceClassifier& model,
                     const ModelConfig& config, const std::vector<std::string>& label_names,
                     const std::string& tokenizer_source_dir) {
  const fs::path dir(dir_str);
  if (static_cast<int64_t>(label_names.size()) != model.num_labels())
    throw usage_error("model", std::to_string(label_names.size()) +
                                   " label names for a model with " +
                                   std::to_string(model.num_labels()) + " labels");
  if (config.family != model.family())
    throw usage_error("model", std::string("config.json of model_type ") +
                                   model_type_of(config.family) + " for a " +
                                   model_type_of(model.family()) + " model");
  const fs::path src(tokenizer_source_dir);
  if (!fs::exists(src / "vocab.txt") && !fs::exists(src / "tokenizer.json"))
    throw model_error("model", "no vocab.txt or tokenizer.json in " + tokenizer_source_dir,
                      "save_pretrained copies the tokenizer from the model directory trained from");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw model_error("model", "cannot create " + dir_str + ": " + ec.message());

  ModelConfig c = config;
  c.label_names = label_names;
  write_file_atomically(dir / "config.json", c.to_json().dump(2) + "\n");

  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (auto& item : model.named_parameters(/*recurse=*/true))
    tensors.emplace_back(item.key(), item.value());
  write_safetensors((dir / "model.safetensors").string(), tensors);

  const bool same_dir = fs::exists(dir) && fs::equivalent(dir, src, ec);
  if (!same_dir)
    for (const auto& name : tokenizer_file_names())
      if (fs::exists(src / name)) write_file_atomically(dir / name, read_whole(src / name));
  log::get("model")->info("saved {} ({} labels, {} tensors)", dir_str, label_names.size(),
                          tensors.size());
}

}  // namespace berth::model
