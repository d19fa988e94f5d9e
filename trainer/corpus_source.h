// Turns data.train/dev/test into opened corpora. A .h5 path is used as is; a CSV/TSV/JSONL path is
// prepped once into a cache directory (never beside the input, which may be read-only), keyed by
// the file's content hash and the tokenizer settings, and reused on the next run. Dev and test
// corpora take the training corpus's label map.
#pragma once

#include <optional>
#include <string>

#include "data/corpus.h"
#include "data/truncation.h"
#include "distributed/communicator.h"
#include "trainer/train_config.h"

namespace berth::data {
class Tokenizer;
}

namespace berth::trainer {

struct TrainingData {
  data::Corpus train;
  std::optional<data::Corpus> dev;
  std::optional<data::Corpus> test;
};

// With several ranks, rank 0 preps and the others wait at a barrier, then all open the files.
TrainingData open_training_data(const TrainConfig& config, const data::Tokenizer& tokenizer,
                                distributed::Communicator& comm);

// The corpus for one path (prepping it into the cache if it is a table). `labels_from` is the
// training corpus path for dev/test tables. Exposed for tests.
std::string corpus_path_for(const std::string& path, const TrainConfig& config,
                            const data::Tokenizer& tokenizer, const std::string& labels_from,
                            bool do_prep);

std::string default_cache_dir();

// data.truncation and data.head_tokens as the rule prep and predict apply.
data::TruncationRule truncation_rule(const TrainConfig& config);

}  // namespace berth::trainer
