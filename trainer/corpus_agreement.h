// Whether a corpus is what the config says the run's examples are. A `.h5` corpus records how it
// was made (data/corpus_info.h); the config says it again (data.max_length, data.truncation,
// data.head_tokens, data.multi_label, model.path's tokenizer), and the checkpoints save the
// config, not the corpus: predict and eval cut texts as config.toml says. A corpus prepped at
// --max-length 128 used to train under data.max_length = 32 on 128-token examples, and predict
// then cut at 32. Every disagreement is refused before step 1 with the key to set or the prep
// to run again. Called once per corpus, from open_training_data (trainer/corpus_source.h).
#pragma once

#include <string>

#include "data/corpus.h"
#include "trainer/train_config.h"

namespace berth::data {
class Tokenizer;
}

namespace berth::trainer {

// Throws berth::Error unless `corpus`, named in the config by `key` ("data.train", "data.dev",
// "data.test"), was made with the tokenizer of model.path and with the config's max_length,
// truncation and head tokens, and is labelled. Exit codes: 3 (data), as for a foreign corpus.
void check_corpus_agrees(const data::Corpus& corpus, const std::string& key,
                         const TrainConfig& config, const data::Tokenizer& tokenizer);

// The training corpus's kind (single- or multi-label) is the one data.multi_label says
// (exit 2: the key is at fault).
void check_problem_kind(const data::Corpus& train, const TrainConfig& config);

// A dev or test corpus (`key`) has the training corpus's label map, in its order.
void check_same_labels(const data::Corpus& corpus, const std::string& key,
                       const data::Corpus& train, const TrainConfig& config);

// "corpus X (data.train)" or, for a table prepped into the cache, "data.train Y (its corpus X)":
// errors name the key and the file the user wrote there, not only a cache file.
std::string describe_corpus(const data::Corpus& corpus, const std::string& key,
                            const TrainConfig& config);

}  // namespace berth::trainer
