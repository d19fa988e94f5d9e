// WordPiece inside a tokenizer.json pipeline whose other parts are not BERT's (BERT's own files
// take the tuned path in tokenizer.cpp): greedy longest match first, continuation pieces with
// the prefix, one unk for a word that cannot be covered or is longer than
// max_input_chars_per_word.
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/error.h"
#include "data/subword_model.h"
#include "data/utf8.h"

namespace berth::data {

namespace {

class WordPieceModel : public SubwordModel {
 public:
  WordPieceModel(const nlohmann::json& j, const std::string& file) {
    prefix_ = j.value("continuing_subword_prefix", std::string("##"));
    max_chars_ = j.value("max_input_chars_per_word", 100);
    for (auto it = j.at("vocab").begin(); it != j.at("vocab").end(); ++it) {
      const int64_t id = it.value().get<int64_t>();
      if (id < 0 || id > 50'000'000)
        throw model_error("tokenizer", file + ": bad id in the WordPiece vocab",
                          "re-save the tokenizer with transformers");
      if (vocab_.size() <= static_cast<size_t>(id)) vocab_.resize(id + 1);
      vocab_[id] = it.key();
      ids_[it.key()] = static_cast<int32_t>(id);
    }
    const std::string unk = j.value("unk_token", std::string("[UNK]"));
    auto u = ids_.find(unk);
    if (u == ids_.end())
      throw model_error("tokenizer",
                        file + ": the WordPiece unk_token '" + unk + "' is not in the vocab",
                        "re-save the tokenizer with transformers");
    unk_ = u->second;
  }

  void tokenize(const std::u32string& piece, std::vector<int32_t>& out) const override {
    if (piece.empty()) return;
    if (piece.size() > static_cast<size_t>(max_chars_)) {
      out.push_back(unk_);
      return;
    }
    const size_t mark = out.size();
    std::string sub;
    for (size_t start = 0; start < piece.size();) {
      int32_t found = -1;
      size_t end = piece.size();
      for (; end > start; --end) {
        sub = start > 0 ? prefix_ : std::string();
        sub += encode_utf8(std::u32string_view(piece).substr(start, end - start));
        auto it = ids_.find(sub);
        if (it != ids_.end()) {
          found = it->second;
          break;
        }
      }
      if (found < 0) {
        out.resize(mark);
        out.push_back(unk_);
        return;
      }
      out.push_back(found);
      start = end;
    }
  }

  const std::vector<std::string>& vocab() const override { return vocab_; }
  int32_t unk_id() const override { return unk_; }

 private:
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int32_t> ids_;
  std::string prefix_;
  int max_chars_ = 100;
  int32_t unk_ = -1;
};

}  // namespace

std::unique_ptr<SubwordModel> make_wordpiece_model(const nlohmann::json& j,
                                                   const std::string& file) {
  return std::make_unique<WordPieceModel>(j, file);
}

}  // namespace berth::data
