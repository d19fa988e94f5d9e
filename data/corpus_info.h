// The file attributes of a corpus (docs/corpus-format.md): where it came from and how it was
// tokenized, so that a trainer can refuse a corpus made with another tokenizer.
#pragma once

#include <cstdint>
#include <string>

#include "common/choices.h"

namespace berth::data {

inline constexpr const char* kCorpusFormatName = "berth-corpus";
// Bump when a reader of the old version would misread the new layout. Version 2 adds the
// checksum block (corpus_checksum.h: corpora without it are refused, prep makes them again);
// version 3 is version 2 with label sets (multi-label). A single-label or unlabeled corpus is
// still written as version 2, so a berth that predates multi-label reads it.
inline constexpr int kCorpusFormatVersion = 2;
inline constexpr int kCorpusFormatVersionMultiLabel = 3;
inline constexpr const char* kMultiLabelProblem = "multi_label_classification";

struct CorpusInfo {
  int format_version = kCorpusFormatVersion;
  std::string tokenizer_fingerprint;
  bool lowercase = true;
  bool strip_accents = true;
  int max_length = 0;
  // data/truncation.h; corpora written before these attributes existed read as head, 0.
  Truncation truncation = Truncation::kHead;
  int head_tokens = 0;        // head_tail: word pieces kept from the start (resolved); 0 otherwise
  std::string source_file;    // as given to prep
  int64_t source_size = 0;    // bytes
  std::string source_sha256;  // hex, of the whole source file
  std::string source_format;  // csv, tsv, jsonl, txt
  std::string text_column;
  std::string label_column;      // empty when unlabeled
  bool multi_label = false;      // label sets (format version 2, attribute problem_type)
  std::string text_pair_column;  // empty unless text pairs
  int64_t rows_read = 0;
  int64_t rows_written = 0;
  int64_t rows_skipped = 0;
  std::string created_by;  // "berth <version>"
};

}  // namespace berth::data
