#include "trainer/corpus_source.h"

#include <cstdlib>
#include <filesystem>

#include "common/cache_dir.h"
#include "common/error.h"
#include "common/log.h"
#include "common/sha256.h"
#include "data/corpus.h"
#include "data/prep.h"
#include "data/tokenizer.h"

namespace berth::trainer {

namespace fs = std::filesystem;

namespace {
// sha256_file reports as the checkpoint module does; here an unreadable file is bad input data.
std::string content_hash(const std::string& path) {
  try {
    return sha256_file(path);
  } catch (const Error& e) {
    throw data_error("data", e.message(), e.hint());
  }
}
}  // namespace

data::TruncationRule truncation_rule(const TrainConfig& config) {
  data::TruncationRule r;
  r.side = config.data.truncation;
  r.head_tokens = static_cast<int>(config.data.head_tokens);
  return r;
}

std::string default_cache_dir() {
  const auto dir = user_cache_dir("corpora");
  return dir.empty() ? ".berth-cache/corpora" : dir.string();
}

std::string corpus_path_for(const std::string& path, const TrainConfig& config,
                            const data::Tokenizer& tokenizer, const std::string& labels_from,
                            bool do_prep) {
  if (data::is_corpus(path)) {
    if (!fs::exists(path))
      throw data_error("data", "corpus " + path + " does not exist",
                       "run 'berth prep' first, or name the CSV/TSV/JSONL file instead");
    return path;
  }
  if (!fs::exists(path)) {
    throw data_error("data", "input file " + path + " does not exist",
                     "check data.train / data.dev / data.test (paths are relative to the "
                     "directory berth runs in)");
  }
  // The label map borrowed from the training corpus: a cached one is named by its own key (and
  // on ranks other than the writer it may not exist yet: hashing it would race with its prep);
  // a corpus the user gave is hashed.
  std::string labels_key;
  if (!labels_from.empty()) {
    labels_key = data::is_corpus(config.data.train) ? content_hash(labels_from)
                                                    : fs::path(labels_from).filename().string();
  }
  // The key covers everything that changes the corpus: content, tokenizer, columns, length, and
  // the label map it borrows.
  // (and the corpus format: a new berth prepares the cache again rather than refusing it).
  std::string key_text = content_hash(path) + "|" + tokenizer.fingerprint() + "|" +
                         std::to_string(data::kCorpusFormatVersion) + "|" +
                         config.data.text_column + "|" + config.data.label_column + "|" +
                         config.data.text_pair_column + "|" +
                         std::to_string(config.data.max_length) + "|" + labels_key;
  // Truncation joins the key only when it is not the default, so that caches made before it
  // existed stay valid.
  if (config.data.truncation != Truncation::kHead)
    key_text += "|" + to_string(config.data.truncation) + ":" +
                std::to_string(
                    truncation_rule(config).head_pieces(static_cast<int>(config.data.max_length)));
  // Multi-label corpora differ in how the label cells are read (single-label keys are unchanged,
  // so caches made before multi-label support stay valid).
  if (config.data.multi_label) key_text += "|multi|" + config.data.label_separator;
  std::string dir = config.data.cache_dir.empty() ? default_cache_dir() : config.data.cache_dir;
  std::string out =
      dir + "/" + fs::path(path).stem().string() + "-" + sha256_hex(key_text).substr(0, 16) + ".h5";
  if (!do_prep || fs::exists(out)) return out;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw usage_error("data",
                      "cannot create the corpus cache directory " + dir + ": " + ec.message(),
                      "set data.cache_dir to a writable directory");
  }
  log::get("data")->info("preparing {} into the cache: {}", path, out);
  data::PrepOptions o;
  o.tokenizer = &tokenizer;
  o.input = path;
  o.output = out;
  o.text_column = config.data.text_column;
  o.label_column = config.data.label_column;
  o.label_column_required = true;
  o.text_pair_column = config.data.text_pair_column;
  o.labels_from = labels_from;
  o.multi_label = config.data.multi_label;
  o.label_separator = config.data.label_separator;
  o.max_length = static_cast<int>(config.data.max_length);
  o.truncation = truncation_rule(config);
  data::prep_corpus(o);
  return out;
}

TrainingData open_training_data(const TrainConfig& config, const data::Tokenizer& tokenizer,
                                distributed::Communicator& comm) {
  const bool writer = comm.rank() == 0;
  // Rank 0 preps; everyone computes the same cache paths; errors on rank 0 reach the others
  // through the flag below rather than leaving them waiting at the barrier forever.
  std::string train, dev, test, error;
  try {
    train = corpus_path_for(config.data.train, config, tokenizer, "", writer);
    if (!config.data.dev.empty())
      dev = corpus_path_for(config.data.dev, config, tokenizer, train, writer);
    if (!config.data.test.empty())
      test = corpus_path_for(config.data.test, config, tokenizer, train, writer);
  } catch (const Error&) {
    if (comm.any(true)) throw;
  }
  if (comm.any(false)) {
    throw data_error("data", "another rank failed to prepare the data",
                     "see that rank's error above");
  }
  comm.barrier();
  // Rank 0 prepared the cache; a rank on another node sees it only on a shared file system.
  for (const auto* p : {&train, &dev, &test}) {
    if (p->empty() || fs::exists(*p)) continue;
    throw data_error(
        "data",
        "rank " + std::to_string(comm.rank()) + " cannot see " + *p + ", which rank 0 prepared",
        "put data.cache_dir on a file system every node shares (the default, " +
            default_cache_dir() + ", is under each node's own $HOME or $XDG_CACHE_HOME), or " +
            "prep with 'berth prep' to a shared path and name the .h5 files in "
            "data.train/dev/test");
  }

  auto open = [&](const std::string& p) {
    auto c = data::Corpus::open(p);
    if (c.fingerprint() != tokenizer.fingerprint()) {
      throw data_error("data",
                       "corpus " + p + " was tokenized with another tokenizer (" + c.fingerprint() +
                           ", model has " + tokenizer.fingerprint() + ")",
                       "re-run 'berth prep --model " + config.model.path + "' for this corpus");
    }
    if (!c.labeled())
      throw data_error("data", "corpus " + p + " has no labels", "prep it with a label column");
    // The checkpoint's config.toml tells predict how to cut texts: it must be what the corpus did.
    if (c.info().truncation != config.data.truncation)
      throw data_error("data",
                       "corpus " + p + " was prepped with truncation " +
                           to_string(c.info().truncation) + " but data.truncation is " +
                           to_string(config.data.truncation),
                       "set data.truncation = \"" + to_string(c.info().truncation) +
                           "\" (and data.head_tokens), or prep the corpus again");
    return c;
  };
  TrainingData d{open(train), std::nullopt, std::nullopt};
  if (d.train.multi_label() != config.data.multi_label)
    throw usage_error(
        "config",
        "'data.multi_label' is " + std::string(config.data.multi_label ? "true" : "false") +
            " but the training corpus " + train + " is " +
            (d.train.multi_label() ? "multi-label" : "single-label"),
        "set data.multi_label = " + std::string(d.train.multi_label() ? "true" : "false") +
            ", or prep the corpus again");
  auto check_labels = [&](const data::Corpus& c) {
    if (c.label_names() != d.train.label_names() || c.multi_label() != d.train.multi_label()) {
      throw data_error("data", "corpus " + c.path() + " has another label map than " + train,
                       "prep dev/test corpora with --labels-from " + train);
    }
  };
  if (!dev.empty()) d.dev = open(dev), check_labels(*d.dev);
  if (!test.empty()) d.test = open(test), check_labels(*d.test);
  if (d.train.size() == 0) throw data_error("data", "training corpus " + train + " is empty", "");
  return d;
}

}  // namespace berth::trainer
