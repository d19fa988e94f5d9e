// Read-only access to a corpus written by prep (docs/corpus-format.md).
//
// open() validates the whole structure up front (datasets present and shaped right, offsets
// monotone and matching the ids, labels in range, format version), so a bad file fails at once
// with a berth::data_error naming the file and the problem instead of failing mid-training.
// Offsets, labels (or label sets) and source rows stay in memory (20 bytes per example, plus 4
// per label of a multi-label example); the token ids are
// loaded whole when small (below CorpusOpenOptions::preload_bytes) and otherwise read per call
// by hyperslab, one read per contiguous run of requested examples.
//
// Thread-safety: a Corpus is cheap to copy (copies share one open file) and every method may be
// called from several threads at once. Reads from the file hold the process-wide HDF5 lock
// (the serial HDF5 library is not thread-safe), so concurrent reads are serialized; preloaded
// corpora never touch HDF5 after open().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/corpus_example.h"
#include "data/corpus_info.h"

namespace berth::data {

// Whether `path` names a corpus from `berth prep` rather than a table to read: its extension is
// .h5 or .hdf5, in any case (the one test that `berth train` and `berth eval` both use).
bool is_corpus(const std::string& path);

struct CorpusOpenOptions {
  int64_t preload_bytes = int64_t{256} << 20;  // load all ids when they take less than this
};

class Corpus {
 public:
  static Corpus open(const std::string& path, const CorpusOpenOptions& options = {});

  int64_t size() const;
  int32_t length(int64_t i) const;  // tokens of example i, [CLS]/[SEP] included
  int32_t label(int64_t i) const;   // -1 when unlabeled or multi-label
  // Multi-label corpora (format version 2): example i's label ids, ascending; else empty.
  std::vector<int32_t> label_set(int64_t i) const;
  bool multi_label() const;
  int64_t source_row(int64_t i) const;
  bool labeled() const;
  bool has_pairs() const;
  bool preloaded() const;
  int64_t num_tokens() const;
  const std::vector<std::string>& label_names() const;
  const CorpusInfo& info() const;
  const std::string& fingerprint() const { return info().tokenizer_fingerprint; }
  const std::string& path() const;

  // The examples at `indices`, in that order. Throws std::out_of_range for a bad index and
  // berth::data_error when the file cannot be read.
  std::vector<Example> read(const std::vector<int64_t>& indices) const;
  Example read(int64_t i) const;

 private:
  struct Impl;
  explicit Corpus(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace berth::data
