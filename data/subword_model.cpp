#include "data/subword_model.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth::data {

std::unique_ptr<SubwordModel> make_subword_model(const nlohmann::json& j, const std::string& file) {
  const std::string type = j.value("type", "");
  if (type == "BPE") return make_bpe_model(j, file);
  if (type == "Unigram") return make_unigram_model(j, file);
  if (type == "WordPiece") return make_wordpiece_model(j, file);
  throw model_error("tokenizer", file + ": model type '" + type + "' is not supported",
                    "Berth reads BPE, Unigram and WordPiece tokenizers (docs/tokenizer.md)");
}

}  // namespace berth::data
