#include "data/tokenizer_pipeline.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "data/utf8.h"

namespace berth::data {

namespace {

bool mentions_lowercase(const nlohmann::json& n) {
  if (!n.is_object()) return false;
  const std::string t = n.value("type", "");
  if (t == "Lowercase") return true;
  if (t == "Sequence")
    for (const auto& m : n.value("normalizers", nlohmann::json::array()))
      if (mentions_lowercase(m)) return true;
  return false;
}

}  // namespace

TokenizerPipeline::TokenizerPipeline(const nlohmann::json& j, const std::string& file) {
  normalizer_ = make_normalizer(j.value("normalizer", nlohmann::json()), file);
  pre_tokenizer_ = make_pre_tokenizer(j.value("pre_tokenizer", nlohmann::json()), file);
  model_ = make_subword_model(j.at("model"), file);
  lowercases_ = mentions_lowercase(j.value("normalizer", nlohmann::json()));
  vocab_ = model_->vocab();
  for (const auto& t : j.value("added_tokens", nlohmann::json::array())) {
    AddedToken a;
    const std::string content = t.at("content").get<std::string>();
    a.content = decode_utf8(content);
    a.id = t.at("id").get<int32_t>();
    a.lstrip = t.value("lstrip", false);
    a.rstrip = t.value("rstrip", false);
    a.single_word = t.value("single_word", false);
    if (a.id < 0 || a.id > 50'000'000)
      throw model_error("tokenizer", file + ": added token '" + content + "' has a bad id",
                        "re-save the tokenizer with transformers");
    if (vocab_.size() <= static_cast<size_t>(a.id)) vocab_.resize(a.id + 1);
    vocab_[a.id] = content;
    if (t.value("normalized", false)) {
      // The crate matches a normalized token by its normalized content.
      if (normalizer_) normalizer_->normalize(a.content);
      normalized_tokens_.add(std::move(a));
    } else {
      raw_tokens_.add(std::move(a));
    }
  }
}

int32_t TokenizerPipeline::id_of(const std::string& token) const {
  for (size_t i = 0; i < vocab_.size(); ++i)
    if (vocab_[i] == token) return static_cast<int32_t>(i);
  return -1;
}

void TokenizerPipeline::tokenize_segment(std::u32string s, bool first,
                                         std::vector<int32_t>& out) const {
  if (normalizer_) normalizer_->normalize(s);
  std::vector<PrePiece> pieces;
  for (const auto& seg : normalized_tokens_.split(s)) {
    if (seg.id >= 0) {
      out.push_back(seg.id);
      continue;
    }
    pieces.clear();
    pieces.push_back({s.substr(seg.begin, seg.end - seg.begin), first && seg.begin == 0});
    if (pre_tokenizer_) pre_tokenizer_->split(pieces);
    for (const auto& p : pieces) model_->tokenize(p.text, out);
  }
}

void TokenizerPipeline::tokenize(std::string_view text, std::vector<int32_t>& out) const {
  const std::u32string raw = decode_utf8(text);
  for (const auto& seg : raw_tokens_.split(raw)) {
    if (seg.id >= 0)
      out.push_back(seg.id);
    else
      tokenize_segment(raw.substr(seg.begin, seg.end - seg.begin), seg.begin == 0, out);
  }
}

}  // namespace berth::data
