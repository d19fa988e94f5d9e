// Writes a corpus (docs/corpus-format.md) in batches: the datasets are chunked and extendible,
// so memory is bounded by one batch whatever the corpus size. Everything goes to
// `<path>.tmp-<pid>`, which commit() renames to `path`; a writer destroyed without commit()
// (an error, an exception) removes its temporary file, so a failed prep leaves nothing behind.
// Not thread-safe: one thread appends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/corpus_example.h"
#include "data/corpus_info.h"

namespace berth::data {

struct CorpusLayout {
  bool labeled = true;       // write labels + label_names
  bool pairs = false;        // write token_type_ids
  bool multi_label = false;  // labeled with label sets: label_set_ids/offsets instead of labels
  // HDF5 chunk lengths (tokens; rows). Each dataset takes at least one whole chunk on disk, so
  // the defaults (good for streaming large corpora) make any corpus ~330 KB; the fuzzer's seed
  // (fuzz/make_corpus_seed.cpp) uses tiny chunks to stay a few KB.
  int64_t id_chunk = int64_t{1} << 15;
  int64_t row_chunk = int64_t{1} << 13;
};

class CorpusWriter {
 public:
  // Throws berth::data_error (component "data") when the temporary file cannot be created.
  CorpusWriter(std::string path, CorpusLayout layout);
  ~CorpusWriter();
  CorpusWriter(const CorpusWriter&) = delete;
  CorpusWriter& operator=(const CorpusWriter&) = delete;

  // Appends examples in order (ids, token types when pairs, label or label set when labeled,
  // source row).
  void append(const std::vector<Example>& examples);

  // Writes label_names and the attributes (rows_written is set from what was appended), closes,
  // and renames into place. `label_remap`, when given, maps each appended label to its final
  // index (prep appends provisional ids before it knows the whole label set); label sets are
  // sorted again after the remap.
  void commit(const CorpusInfo& info, const std::vector<std::string>& label_names,
              const std::vector<int32_t>* label_remap = nullptr);

  int64_t size() const;
  const std::string& temp_path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::data
