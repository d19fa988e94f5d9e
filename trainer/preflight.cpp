#include "trainer/preflight.h"

#include <unistd.h>

#include <fstream>

#include "common/error.h"
#include "common/log.h"
#include "model/model_config.h"

namespace berth::trainer {

namespace fs = std::filesystem;

void preflight_model(const TrainConfig& cfg) {
  const fs::path dir(cfg.model.path);
  if (!fs::is_directory(dir)) {
    throw model_error("preflight", "model.path " + cfg.model.path + " is not a directory",
                      "name a Hugging Face model directory or a Berth checkpoint");
  }
  auto config = model::ModelConfig::from_file((dir / "config.json").string());
  // Either file defines the tokenizer (data/tokenizer.h): tokenizer.json for every family,
  // vocab.txt alone for BERT WordPiece directories saved without it.
  if (!fs::exists(dir / "tokenizer.json") && !fs::exists(dir / "vocab.txt")) {
    throw model_error("preflight",
                      "model.path " + cfg.model.path + " has neither tokenizer.json nor vocab.txt",
                      "every checkpoint copies the tokenizer from model.path; use a complete "
                      "model directory (config.json, tokenizer.json or vocab.txt, weights)");
  }
  if (cfg.data.max_length > config.max_sequence_length()) {
    throw usage_error(
        "preflight",
        "data.max_length is " + std::to_string(cfg.data.max_length) + ", more than the " +
            std::to_string(config.max_sequence_length()) + " positions the model in " +
            cfg.model.path + " can embed",
        "set data.max_length to at most " + std::to_string(config.max_sequence_length()));
  }
}

void preflight_labels(const std::vector<std::string>& labels, const std::string& corpus,
                      const TrainConfig& cfg) {
  if (labels.size() >= 2) return;
  throw data_error("preflight",
                   "the training data " + corpus + " has " + std::to_string(labels.size()) +
                       " label(s)" + (labels.empty() ? "" : " ('" + labels.front() + "')") +
                       " in column '" + cfg.data.label_column +
                       "': a classifier needs at least two classes",
                   "check data.label_column (and data.train: is it the whole training set?)");
}

void preflight_writable(const fs::path& dir, const std::string& key) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::path probe = dir / (".berth-write-test-" + std::to_string(getpid()));
  {
    std::ofstream f(probe);
    if (!ec && f && (f << "x") && f.flush()) {
      f.close();
      fs::remove(probe, ec);
      return;
    }
  }
  fs::remove(probe, ec);
  throw usage_error("preflight", key + " " + dir.string() + " cannot be written",
                    "check its permissions and that its file system is not read-only, or set " +
                        key + " to a writable directory");
}

void preflight_disk_space(const fs::path& dir, int64_t checkpoint_bytes) {
  std::error_code ec;
  auto space = fs::space(dir, ec);
  if (ec) return;
  const double need = 2.0 * static_cast<double>(checkpoint_bytes);
  if (static_cast<double>(space.available) < need) {
    log::get("preflight")
        ->warn(
            "{} has {:.1f} GB free, less than two checkpoints of {:.1f} GB each: a checkpoint "
            "write may fail (the previous checkpoint stays intact)",
            dir.string(), space.available / 1e9, checkpoint_bytes / 1e9);
  }
}

}  // namespace berth::trainer
