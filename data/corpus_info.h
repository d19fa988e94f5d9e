// The file attributes of a corpus (docs/corpus-format.md): where it came from and how it was
// tokenized, so that a trainer can refuse a corpus made with another tokenizer.
#pragma once

#include <cstdint>
#include <string>

namespace berth::data {

inline constexpr const char* kCorpusFormatName = "berth-corpus";
// Bump when a reader of the old version would misread the new layout.
inline constexpr int kCorpusFormatVersion = 2;  // 2: the checksum block (corpus_checksum.h)

struct CorpusInfo {
  int format_version = kCorpusFormatVersion;
  std::string tokenizer_fingerprint;
  bool lowercase = true;
  bool strip_accents = true;
  int max_length = 0;
  std::string source_file;    // as given to prep
  int64_t source_size = 0;    // bytes
  std::string source_sha256;  // hex, of the whole source file
  std::string source_format;  // csv, tsv, jsonl, txt
  std::string text_column;
  std::string label_column;      // empty when unlabeled
  std::string text_pair_column;  // empty unless text pairs
  int64_t rows_read = 0;
  int64_t rows_written = 0;
  int64_t rows_skipped = 0;
  std::string created_by;  // "berth <version>"
};

}  // namespace berth::data
