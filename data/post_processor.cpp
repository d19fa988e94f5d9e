#include "data/post_processor.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth::data {

PostProcessor PostProcessor::bert(int32_t cls, int32_t sep) {
  PostProcessor p;
  p.single_ = {{-1, {cls}, 0}, {0, {}, 0}, {-1, {sep}, 0}};
  p.pair_ = {{-1, {cls}, 0}, {0, {}, 0}, {-1, {sep}, 0}, {1, {}, 1}, {-1, {sep}, 1}};
  return p;
}

PostProcessor PostProcessor::from_json(const nlohmann::json& j, const std::string& file) {
  PostProcessor p;
  if (j.is_null()) {
    // The crate's default: the texts as they are, the second with type 1.
    p.single_ = {{0, {}, 0}};
    p.pair_ = {{0, {}, 0}, {1, {}, 1}};
    return p;
  }
  const std::string type = j.value("type", "");
  auto id_of = [&](const char* key) { return j.at(key).at(1).get<int32_t>(); };
  if (type == "BertProcessing") return bert(id_of("cls"), id_of("sep"));
  if (type == "RobertaProcessing") {
    const int32_t cls = id_of("cls"), sep = id_of("sep");
    p.single_ = {{-1, {cls}, 0}, {0, {}, 0}, {-1, {sep}, 0}};
    p.pair_ = {{-1, {cls}, 0}, {0, {}, 0}, {-1, {sep, sep}, 0}, {1, {}, 0}, {-1, {sep}, 0}};
    return p;
  }
  if (type == "ByteLevel") return from_json(nlohmann::json(), file);
  if (type == "TemplateProcessing") {
    const auto& specials = j.at("special_tokens");
    auto parts = [&](const nlohmann::json& t) {
      std::vector<Part> out;
      for (const auto& item : t) {
        Part part;
        if (item.contains("Sequence")) {
          const auto& s = item["Sequence"];
          part.sequence = s.at("id").get<std::string>() == "B" ? 1 : 0;
          part.type_id = static_cast<int8_t>(s.value("type_id", 0));
        } else {
          const auto& s = item.at("SpecialToken");
          const std::string name = s.at("id").get<std::string>();
          if (!specials.contains(name))
            throw model_error("tokenizer",
                              file + ": the template's special token '" + name + "' is not listed",
                              "re-save the tokenizer with transformers");
          part.ids = specials[name].at("ids").get<std::vector<int32_t>>();
          part.type_id = static_cast<int8_t>(s.value("type_id", 0));
        }
        out.push_back(std::move(part));
      }
      return out;
    };
    p.single_ = parts(j.at("single"));
    p.pair_ = parts(j.at("pair"));
    return p;
  }
  if (type == "Sequence") {
    // Only one member may add tokens (ByteLevel + a template is the common case).
    PostProcessor chosen = from_json(nlohmann::json(), file);
    int adding = 0;
    for (const auto& member : j.at("processors")) {
      PostProcessor m = from_json(member, file);
      if (m.special_count(false) > 0 || m.special_count(true) > 0) {
        chosen = std::move(m);
        ++adding;
      }
    }
    if (adding > 1)
      throw model_error(
          "tokenizer", file + ": a Sequence post-processor with several templates is not supported",
          "keep one processor that adds special tokens");
    return chosen;
  }
  throw model_error("tokenizer", file + ": post-processor type '" + type + "' is not supported",
                    "Berth reads BertProcessing, RobertaProcessing, TemplateProcessing, ByteLevel "
                    "and Sequence (docs/tokenizer.md)");
}

int PostProcessor::special_count(bool pair) const {
  int n = 0;
  for (const auto& p : pair ? pair_ : single_) n += static_cast<int>(p.ids.size());
  return n;
}

Encoding PostProcessor::assemble(const std::vector<int32_t>& a,
                                 const std::vector<int32_t>* b) const {
  Encoding e;
  e.ids.reserve(a.size() + (b ? b->size() : 0) + 4);
  for (const auto& p : b ? pair_ : single_) {
    const std::vector<int32_t>& ids = p.sequence < 0 ? p.ids : p.sequence == 0 ? a : *b;
    e.ids.insert(e.ids.end(), ids.begin(), ids.end());
    e.token_type_ids.resize(e.ids.size(), p.type_id);
  }
  return e;
}

int32_t PostProcessor::first_special() const {
  for (const auto& p : single_) {
    if (p.sequence >= 0) break;
    if (!p.ids.empty()) return p.ids.front();
  }
  return -1;
}

int32_t PostProcessor::last_special() const {
  for (auto it = single_.rbegin(); it != single_.rend(); ++it) {
    if (it->sequence >= 0) break;
    if (!it->ids.empty()) return it->ids.back();
  }
  return -1;
}

std::string PostProcessor::describe() const {
  std::string s;
  for (const auto* t : {&single_, &pair_}) {
    for (const auto& p : *t) {
      s += p.sequence < 0 ? "S" : p.sequence == 0 ? "A" : "B";
      for (int32_t id : p.ids) s += std::to_string(id) + ",";
      s += ":" + std::to_string(p.type_id) + " ";
    }
    s += "|";
  }
  return s;
}

}  // namespace berth::data
