// Where the special tokens go: tokenizer.json's post_processor as one template for single texts
// and one for pairs (BertProcessing, RobertaProcessing, TemplateProcessing; ByteLevel only moves
// offsets; Sequence combines them). BERT's vocab.txt directories get [CLS] A [SEP] B [SEP].
// Truncation and windows use special_count() to know how many ids a text may keep.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "data/tokenizer.h"

namespace berth::data {

class PostProcessor {
 public:
  // [CLS] A [SEP] (types 0) and [CLS] A [SEP] B [SEP] (types 0..0 1..1).
  static PostProcessor bert(int32_t cls, int32_t sep);
  // null: no special tokens. Throws berth::Error naming the type and `file` when unsupported.
  static PostProcessor from_json(const nlohmann::json& j, const std::string& file);

  // Ids the template adds around one text, or around a pair.
  int special_count(bool pair) const;
  // The template filled with a (and b when given).
  Encoding assemble(const std::vector<int32_t>& a, const std::vector<int32_t>* b) const;
  // The first / last special id of the single-text template, -1 when it has none (cls_id and
  // sep_id of the tokenizer).
  int32_t first_special() const;
  int32_t last_special() const;
  // A stable description, for the fingerprint.
  std::string describe() const;

 private:
  struct Part {
    int sequence = -1;  // 0: A, 1: B, -1: the special ids below
    std::vector<int32_t> ids;
    int8_t type_id = 0;
  };
  std::vector<Part> single_, pair_;
};

}  // namespace berth::data
