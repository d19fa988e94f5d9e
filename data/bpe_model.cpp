// BPE as the crate's models::bpe runs it (without dropout): each character of the piece is a
// symbol (with continuing_subword_prefix / end_of_word_suffix, byte_fallback to <0xXX> tokens,
// else [fused] unk, else dropped), then the pair of lowest merge rank is merged, leftmost first,
// until no pair has a merge. ignore_merges: a piece that is a whole vocabulary token is that
// token (Llama-3-style files).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <queue>
#include <unordered_map>

#include "common/error.h"
#include "data/subword_model.h"
#include "data/utf8.h"

namespace berth::data {

namespace {

class BpeModel : public SubwordModel {
 public:
  BpeModel(const nlohmann::json& j, const std::string& file) {
    auto opt = [&](const char* key) {
      auto it = j.find(key);
      return it == j.end() || it->is_null() ? std::string() : it->get<std::string>();
    };
    prefix_ = opt("continuing_subword_prefix");
    suffix_ = opt("end_of_word_suffix");
    const std::string unk = opt("unk_token");
    fuse_unk_ = j.value("fuse_unk", false);
    byte_fallback_ = j.value("byte_fallback", false);
    ignore_merges_ = j.value("ignore_merges", false);
    if (j.contains("dropout") && !j["dropout"].is_null() && j["dropout"].get<double>() > 0) {
      throw model_error("tokenizer", file + ": BPE dropout is not supported",
                        "set \"dropout\": null in tokenizer.json (it only applies to training)");
    }
    for (auto it = j.at("vocab").begin(); it != j.at("vocab").end(); ++it) {
      const int64_t id = it.value().get<int64_t>();
      if (id < 0 || id > 50'000'000)
        throw model_error("tokenizer",
                          file + ": bad id " + std::to_string(id) + " in the BPE vocab",
                          "re-save the tokenizer with transformers");
      if (vocab_.size() <= static_cast<size_t>(id)) vocab_.resize(id + 1);
      vocab_[id] = it.key();
      ids_[it.key()] = static_cast<int32_t>(id);
    }
    if (!unk.empty()) {
      auto u = ids_.find(unk);
      if (u == ids_.end())
        throw model_error("tokenizer",
                          file + ": the BPE unk_token '" + unk + "' is not in the vocab",
                          "re-save the tokenizer with transformers");
      unk_ = u->second;
    }
    int32_t rank = 0;
    for (const auto& m : j.at("merges")) {
      std::string a, b;
      if (m.is_string()) {
        const std::string s = m.get<std::string>();
        const size_t sp = s.find(' ');
        if (sp == std::string::npos)
          throw model_error("tokenizer", file + ": BPE merge '" + s + "' is not two tokens",
                            "re-save the tokenizer with transformers");
        a = s.substr(0, sp), b = s.substr(sp + 1);
      } else {
        a = m.at(0).get<std::string>(), b = m.at(1).get<std::string>();
      }
      auto ia = ids_.find(a), ib = ids_.find(b);
      // The crate drops the prefix's length from b whether or not b carries it.
      const std::string merged = a + b.substr(std::min(prefix_.size(), b.size()));
      auto im = ids_.find(merged);
      if (ia == ids_.end() || ib == ids_.end() || im == ids_.end())
        throw model_error("tokenizer",
                          file + ": BPE merge '" + a + " " + b + "' uses a token not in the vocab",
                          "re-save the tokenizer with transformers");
      merges_.emplace(key(ia->second, ib->second), Merge{rank++, im->second});
    }
  }

  void tokenize(const std::u32string& piece, std::vector<int32_t>& out) const override {
    if (piece.empty()) return;
    std::string word = encode_utf8(piece);
    if (ignore_merges_) {
      auto it = ids_.find(word);
      if (it != ids_.end()) {
        out.push_back(it->second);
        return;
      }
    }
    std::vector<Symbol> sym;
    sym.reserve(piece.size());
    int32_t pending_unk = -1;
    auto add = [&](int32_t id) { sym.push_back({id, static_cast<int>(sym.size()) - 1, -1, true}); };
    std::string s;
    for (size_t i = 0; i < piece.size(); ++i) {
      s.clear();
      if (i > 0) s = prefix_;
      append_utf8(s, piece[i]);
      if (i + 1 == piece.size()) s += suffix_;
      auto it = ids_.find(s);
      if (it != ids_.end()) {
        if (pending_unk >= 0) add(pending_unk), pending_unk = -1;
        add(it->second);
        continue;
      }
      if (byte_fallback_) {
        std::vector<int32_t> bytes;
        char name[8];
        for (unsigned char c : s) {
          std::snprintf(name, sizeof name, "<0x%02X>", c);
          auto b = ids_.find(name);
          if (b == ids_.end()) break;
          bytes.push_back(b->second);
        }
        if (bytes.size() == s.size()) {
          // The crate adds these without flushing a pending unk first.
          for (int32_t b : bytes) add(b);
          continue;
        }
      }
      if (unk_ >= 0) {
        if (pending_unk >= 0 && !fuse_unk_) add(pending_unk);
        pending_unk = unk_;
      }
    }
    if (pending_unk >= 0) add(pending_unk);
    for (size_t i = 0; i + 1 < sym.size(); ++i) sym[i].next = static_cast<int>(i + 1);
    merge_all(sym);
    for (const auto& x : sym)
      if (x.alive) out.push_back(x.id);
  }

  const std::vector<std::string>& vocab() const override { return vocab_; }
  int32_t unk_id() const override { return unk_; }

 private:
  struct Merge {
    int32_t rank, new_id;
  };
  struct Symbol {
    int32_t id;
    int prev, next;
    bool alive;
  };
  struct Candidate {
    int32_t rank;
    int pos;
    int32_t new_id;
    bool operator<(const Candidate& o) const {  // priority_queue pops the largest
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  const Merge* find(int32_t a, int32_t b) const {
    auto it = merges_.find(key(a, b));
    return it == merges_.end() ? nullptr : &it->second;
  }

  // The crate's Word::merge_all: a queue of candidate merges, stale entries skipped.
  void merge_all(std::vector<Symbol>& sym) const {
    std::priority_queue<Candidate> q;
    for (size_t i = 0; i + 1 < sym.size(); ++i)
      if (const Merge* m = find(sym[i].id, sym[i + 1].id))
        q.push({m->rank, static_cast<int>(i), m->new_id});
    while (!q.empty()) {
      Candidate top = q.top();
      q.pop();
      Symbol& cur = sym[top.pos];
      if (!cur.alive || cur.next < 0) continue;
      Symbol& right = sym[cur.next];
      const Merge* m = find(cur.id, right.id);
      if (!m || m->new_id != top.new_id) continue;
      cur.id = top.new_id;
      right.alive = false;
      cur.next = right.next;
      if (right.next >= 0) sym[right.next].prev = top.pos;
      if (cur.prev >= 0)
        if (const Merge* p = find(sym[cur.prev].id, cur.id)) q.push({p->rank, cur.prev, p->new_id});
      if (cur.next >= 0)
        if (const Merge* n = find(cur.id, sym[cur.next].id)) q.push({n->rank, top.pos, n->new_id});
    }
  }

  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int32_t> ids_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::string prefix_, suffix_;
  int32_t unk_ = -1;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
};

}  // namespace

std::unique_ptr<SubwordModel> make_bpe_model(const nlohmann::json& j, const std::string& file) {
  return std::make_unique<BpeModel>(j, file);
}

}  // namespace berth::data
