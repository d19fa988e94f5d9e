#include "trainer/corpus_agreement.h"

#include "common/error.h"
#include "data/tokenizer.h"
#include "trainer/corpus_source.h"

namespace berth::trainer {

namespace {

const std::string& configured_path(const std::string& key, const TrainConfig& config) {
  if (key == "data.dev") return config.data.dev;
  if (key == "data.test") return config.data.test;
  return config.data.train;
}

}  // namespace

std::string describe_corpus(const data::Corpus& corpus, const std::string& key,
                            const TrainConfig& config) {
  const std::string& given = configured_path(key, config);
  if (given == corpus.path()) return "corpus " + given + " (" + key + ")";
  return key + " " + given + " (its corpus in the cache: " + corpus.path() + ")";
}

void check_corpus_agrees(const data::Corpus& c, const std::string& key, const TrainConfig& config,
                         const data::Tokenizer& tokenizer) {
  const std::string what = describe_corpus(c, key, config);
  if (c.fingerprint() != tokenizer.fingerprint())
    throw data_error("data",
                     what + " was tokenized with another tokenizer (" + c.fingerprint() +
                         ", model.path has " + tokenizer.fingerprint() + ")",
                     "prep it again with 'berth prep --model " + config.model.path +
                         "', or set model.path to the model it was prepped with");
  if (!c.labeled())
    throw data_error("data", what + " has no labels",
                     "prep it with --label-column naming the column of its labels");
  const auto& info = c.info();
  const int max_length = static_cast<int>(config.data.max_length);
  // Corpora record their length since format 2; 0 would be an older one (refused elsewhere).
  if (info.max_length > 0 && info.max_length != max_length)
    throw data_error(
        "data",
        what + " was prepped with --max-length " + std::to_string(info.max_length) +
            " but data.max_length is " + std::to_string(max_length) +
            ": the run would train on examples of up to " + std::to_string(info.max_length) +
            " tokens and its checkpoints would tell predict and eval to cut texts at " +
            std::to_string(max_length),
        "set data.max_length = " + std::to_string(info.max_length) +
            ", or prep the corpus again with --max-length " + std::to_string(max_length) +
            " (or name the table " + (info.source_file.empty() ? "itself" : info.source_file) +
            " in " + key + ": it is prepped with the config's settings)");
  if (info.truncation != config.data.truncation)
    throw data_error("data",
                     what + " was prepped with truncation " + to_string(info.truncation) +
                         " but data.truncation is " + to_string(config.data.truncation),
                     "set data.truncation = \"" + to_string(info.truncation) +
                         "\" (and data.head_tokens), or prep the corpus again");
  if (config.data.truncation == Truncation::kHeadTail) {
    const int head = truncation_rule(config).head_pieces(max_length);
    if (info.head_tokens != head)
      throw data_error("data",
                       what + " was prepped keeping the first " + std::to_string(info.head_tokens) +
                           " word pieces (--head-tokens) " + "but data.head_tokens makes it " +
                           std::to_string(head),
                       "set data.head_tokens = " + std::to_string(info.head_tokens) +
                           ", or prep the corpus again with --head-tokens " + std::to_string(head));
  }
}

void check_problem_kind(const data::Corpus& train, const TrainConfig& config) {
  if (train.multi_label() == config.data.multi_label) return;
  throw usage_error(
      "config",
      "'data.multi_label' is " + std::string(config.data.multi_label ? "true" : "false") +
          " but the training " + describe_corpus(train, "data.train", config) + " is " +
          (train.multi_label() ? "multi-label" : "single-label"),
      "set data.multi_label = " + std::string(train.multi_label() ? "true" : "false") +
          ", or prep the corpus again");
}

void check_same_labels(const data::Corpus& c, const std::string& key, const data::Corpus& train,
                       const TrainConfig& config) {
  if (c.label_names() == train.label_names() && c.multi_label() == train.multi_label()) return;
  throw data_error("data",
                   describe_corpus(c, key, config) + " has another label map than " +
                       describe_corpus(train, "data.train", config),
                   "prep it with --labels-from " + train.path());
}

}  // namespace berth::trainer
