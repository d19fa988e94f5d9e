// Unigram as the crate's models::unigram runs it: Viterbi over the pieces that prefix each
// position (shortest first; a later candidate wins only with a strictly better score), an
// unknown character costs min_score - 10, consecutive unknowns are fused into one unk token
// (fuse_unk, always on for files that transformers saves), and with byte_fallback an unknown
// stretch becomes its <0xXX> byte tokens when the vocab has them all.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/error.h"
#include "data/subword_model.h"
#include "data/utf8.h"

namespace berth::data {

namespace {

constexpr double kUnkPenalty = 10.0;

class UnigramModel : public SubwordModel {
 public:
  UnigramModel(const nlohmann::json& j, const std::string& file) {
    const auto& v = j.at("vocab");
    vocab_.reserve(v.size());
    scores_.reserve(v.size());
    double min_score = std::numeric_limits<double>::infinity();
    for (const auto& e : v) {
      vocab_.push_back(e.at(0).get<std::string>());
      scores_.push_back(e.at(1).get<double>());
      min_score = std::min(min_score, scores_.back());
      // A repeated piece keeps its last id, as the crate's token_to_ids map.
      ids_[vocab_.back()] = static_cast<int32_t>(vocab_.size() - 1);
      max_len_ = std::max(max_len_, vocab_.back().size());
    }
    unk_score_ = min_score - kUnkPenalty;
    if (j.contains("unk_id") && !j["unk_id"].is_null()) {
      unk_ = j["unk_id"].get<int32_t>();
      if (unk_ < 0 || static_cast<size_t>(unk_) >= vocab_.size())
        throw model_error(
            "tokenizer",
            file + ": Unigram unk_id " + std::to_string(unk_) + " is outside the vocab",
            "re-save the tokenizer with transformers");
    }
    byte_fallback_ = j.value("byte_fallback", false);
  }

  void tokenize(const std::u32string& piece, std::vector<int32_t>& out) const override {
    if (piece.empty()) return;
    const std::string s = encode_utf8(piece);
    const size_t n = s.size();
    struct Node {
      double score = 0;
      int64_t start = -1;
      int32_t id = -1;
    };
    std::vector<Node> best(n + 1);
    best[0].start = 0;
    for (size_t at = 0; at < n;) {
      const size_t mblen = char_len(static_cast<unsigned char>(s[at]));
      const double here = best[at].score;
      bool single = false;
      const size_t limit = std::min(max_len_, n - at);
      for (size_t len = 1; len <= limit; ++len) {
        auto it = ids_.find(std::string_view(s.data() + at, len));
        if (it == ids_.end()) continue;
        Node& t = best[at + len];
        const double cand = here + scores_[it->second];
        if (t.start < 0 || cand > t.score) t = {cand, static_cast<int64_t>(at), it->second};
        if (len == mblen) single = true;
      }
      if (!single) {
        if (unk_ < 0)
          throw model_error("tokenizer", "the Unigram model has no unk_id for an unknown character",
                            "the tokenizer.json model needs \"unk_id\"");
        Node& t = best[at + mblen];
        const double cand = here + unk_score_;
        if (t.start < 0 || cand > t.score) t = {cand, static_cast<int64_t>(at), unk_};
      }
      at += mblen;
    }
    // Back from the end; runs of unk nodes become one string.
    std::vector<std::pair<size_t, size_t>> pieces;  // byte ranges, last first
    size_t end = n, unk_end = 0;
    bool in_unk = false;
    while (end > 0) {
      const Node& node = best[end];
      const size_t start = static_cast<size_t>(node.start);
      if (node.id == unk_) {
        if (!in_unk) unk_end = end, in_unk = true;
      } else {
        if (in_unk) pieces.emplace_back(end, unk_end), in_unk = false;
        pieces.emplace_back(start, end);
      }
      end = start;
    }
    if (in_unk) pieces.emplace_back(0, unk_end);
    char name[8];
    for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
      std::string_view p(s.data() + it->first, it->second - it->first);
      auto id = ids_.find(p);
      if (id != ids_.end()) {
        out.push_back(id->second);
        continue;
      }
      if (byte_fallback_) {
        const size_t mark = out.size();
        bool all = true;
        for (unsigned char c : p) {
          std::snprintf(name, sizeof name, "<0x%02X>", c);
          auto b = ids_.find(std::string_view(name));
          if (b == ids_.end()) {
            all = false;
            break;
          }
          out.push_back(b->second);
        }
        if (all) continue;
        out.resize(mark);
      }
      out.push_back(unk_);
    }
  }

  const std::vector<std::string>& vocab() const override { return vocab_; }
  int32_t unk_id() const override { return unk_; }

 private:
  static size_t char_len(unsigned char b) { return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4; }

  std::vector<std::string> vocab_;
  std::vector<double> scores_;
  std::unordered_map<std::string_view, int32_t> ids_;  // views into vocab_
  size_t max_len_ = 0;
  double unk_score_ = 0;
  int32_t unk_ = -1;
  bool byte_fallback_ = false;
};

}  // namespace

std::unique_ptr<SubwordModel> make_unigram_model(const nlohmann::json& j, const std::string& file) {
  return std::make_unique<UnigramModel>(j, file);
}

}  // namespace berth::data
