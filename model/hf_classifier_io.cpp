#include "model/hf_classifier_io.h"

#include <map>
#include <set>

#include "common/durable_fs.h"
#include "common/error.h"
#include "common/file_read.h"
#include "common/log.h"
#include "model/pretrained.h"
#include "model/safetensors.h"

namespace berth::model {

namespace fs = std::filesystem;

namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

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

}  // namespace

void require_model_directory(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw model_error("model", "model directory " + dir.string() + " does not exist",
                      "pass a Hugging Face model directory (config.json, model.safetensors)");
  if (fs::exists(dir / "model.safetensors")) return;
  std::string found;
  for (const char* f : {"pytorch_model.bin", "model.safetensors.index.json",
                        "pytorch_model.bin.index.json", "tf_model.h5"})
    if (fs::exists(dir / f)) found += std::string(found.empty() ? "" : ", ") + f;
  throw model_error("model",
                    "no model.safetensors in " + dir.string() +
                        (found.empty() ? "" : " (found " + found + ")"),
                    "convert once with: python -c \"from transformers import AutoModel; m = "
                    "AutoModel.from_pretrained('" +
                        dir.string() + "'); m.save_pretrained('" + dir.string() +
                        "', safe_serialization=True, max_shard_size='100GB')\"");
}

WeightLoad load_classifier_weights(torch::nn::Module& model, const fs::path& dir,
                                   const ClassifierLayout& layout, bool labels_overridden) {
  const fs::path weights = dir / "model.safetensors";
  SafetensorsFile file(weights.string());
  auto params = model.named_parameters(/*recurse=*/true);
  auto is_head = [&](const std::string& name) -> std::string {
    for (auto& p : layout.head_prefixes)
      if (starts_with(name, p)) return p;
    return "";
  };

  WeightLoad out;
  std::map<std::string, std::string> source_of;  // parameter name -> checkpoint key
  for (const auto& e : file.entries()) {
    std::string name = e.name;
    if (!starts_with(name, layout.base_prefix) && is_head(name).empty() &&
        params.contains(layout.base_prefix + name))
      name = layout.base_prefix + name;
    if (params.contains(name) && !source_of.count(name))
      source_of[name] = e.name;
    else
      out.unexpected.push_back(e.name);
  }

  std::vector<std::string> missing_base;
  std::set<std::string> missing_heads;
  at::NoGradGuard no_grad;
  for (auto& item : params) {
    const std::string& name = item.key();
    at::Tensor& param = item.value();
    const std::string head = is_head(name);
    auto it = source_of.find(name);
    if (it == source_of.end()) {
      if (head.empty())
        missing_base.push_back(name);
      else
        missing_heads.insert(head);
      continue;
    }
    const SafetensorsEntry* e = file.find(it->second);
    if (!at::IntArrayRef(e->shape).equals(param.sizes())) {
      if (starts_with(name, "classifier.") && labels_overridden) {
        out.classifier_discarded = true;
        missing_heads.insert(head);
        continue;
      }
      throw model_error("model",
                        weights.string() + ": tensor \"" + it->second + "\" has shape " +
                            shape_string(e->shape) + " but the " + layout.family +
                            " model built from config.json expects " +
                            shape_string(param.sizes()) + " for " + name,
                        "config.json and model.safetensors do not belong together");
    }
    param.copy_(file.load(it->second));
  }
  if (!missing_base.empty())
    throw model_error("model",
                      weights.string() + " lacks " + layout.family +
                          " encoder weights: " + join_names(missing_base),
                      "is this a " + layout.family + " checkpoint matching config.json?");
  out.missing_heads.assign(missing_heads.begin(), missing_heads.end());
  if (!out.unexpected.empty())
    log::get("model")->info("{}: {} tensor(s) not used by the {} classifier: {}", weights.string(),
                            out.unexpected.size(), layout.family, join_names(out.unexpected));
  return out;
}

void save_classifier_directory(const fs::path& dir, torch::nn::Module& model,
                               const std::string& config_json,
                               const fs::path& tokenizer_source_dir) {
  const durable::Blame blame{"model", ExitCode::kModel};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw model_error("model", "cannot create " + dir.string() + ": " + ec.message());
  durable::write_file_atomically(dir / "config.json", config_json, blame);

  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (auto& item : model.named_parameters(/*recurse=*/true))
    tensors.emplace_back(item.key(), item.value());
  write_safetensors((dir / "model.safetensors").string(), tensors);

  // The SentencePiece model and added tokens travel too: DeBERTa-v3's tokenizer needs them.
  std::vector<std::string> names = tokenizer_file_names();
  names.insert(names.end(), {"spm.model", "added_tokens.json"});
  const fs::path src = tokenizer_source_dir;
  if (src.empty() || !fs::exists(src) || fs::equivalent(dir, src, ec)) return;
  for (const auto& name : names) {
    if (!fs::exists(src / name)) continue;
    auto content = read_file(src / name);
    if (!content) throw model_error("model", "cannot read " + (src / name).string());
    durable::write_file_atomically(dir / name, *content, blame);
  }
}

}  // namespace berth::model
