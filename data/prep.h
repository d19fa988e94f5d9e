// prep: a tabular file (CSV/TSV/JSONL/TXT) -> a pre-tokenized HDF5 corpus
// (docs/corpus-format.md). Used by `berth prep` and by the trainer to prep a configured CSV on
// the fly.
//
// The input streams in batches: memory is bounded by two batches (one being tokenized on all
// cores while the next is read) plus 4 bytes per written row for the provisional label ids.
// Output order is input order. The corpus is written to a temporary file renamed into place at
// the end, so a failed prep leaves no output and the input is only ever read.
//
// Label map: with labels_from, the label names of that corpus, in its order (a label not in it
// is an error). Otherwise the sorted set of labels seen: numerically when every label is an
// integer ("2" < "10"), byte-wise (= Unicode code point order) otherwise. Labels are trimmed of
// surrounding ASCII whitespace.
//
// Multi-label (multi_label, or labels_from a multi-label corpus): a label cell is a list of labels
// (data/label_list.h: a JSON array in JSONL, or label_separator between labels), stored as a label
// set per example (format version 2). A cell with no label in it (a JSONL `[]`) is an empty set.
//
// Skipped rows: empty or whitespace-only text (or text pair), and, for a labeled corpus, an empty
// or missing label. They are counted, the first few are logged with their record and line, and
// with strict they are errors instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/table_reader.h"
#include "data/truncation.h"

namespace berth::data {

class Tokenizer;

// How the command that runs prep names the settings its hints tell the user to change: `berth
// prep`'s flags by default; the trainer's config keys when it preps data.train on the fly (a
// hint to pass --label-column to `berth train`, which has no such flag, misled).
struct PrepSettingNames {
  std::string text_column = "--text-column";
  std::string label_column = "--label-column";
  std::string text_pair_column = "--text-pair-column";
  std::string multi_label = "--multi-label";
  bool config_keys = false;  // the names are config keys (`set KEY = VALUE`), not flags

  // "pass --multi-label" / "set data.multi_label = true".
  std::string turn_on(const std::string& name) const {
    return config_keys ? "set " + name + " = true" : "pass " + name;
  }
  // "pick one of those with --label-column" / "set data.label_column to one of those".
  std::string pick_one(const std::string& name) const {
    return config_keys ? "set " + name + " to one of those" : "pick one of those with " + name;
  }
};

struct PrepOptions {
  std::string model_dir;                 // the tokenizer's directory (unless `tokenizer` is set)
  const Tokenizer* tokenizer = nullptr;  // reuse an already loaded tokenizer (not owned)
  std::string input;
  std::string output;
  std::string text_column = "text";
  // Read labels from this column when the input has it; without it the corpus is unlabeled,
  // unless label_column_required (the user named it) or labels_from is set: then it is an error.
  std::string label_column = "label";
  bool label_column_required = false;
  std::string text_pair_column;       // empty: single texts
  std::string labels_from;            // a corpus whose label_names (and tokenizer) to reuse
  bool multi_label = false;           // labels are lists (implied by a multi-label labels_from)
  std::string label_separator = "|";  // between the labels of a CSV/TSV cell (multi-label)
  int max_length = 128;
  TruncationRule truncation;  // single texts; pairs are cut longest_first (data/truncation.h)
  std::optional<TableFormat> format;  // default: from the input's extension
  bool strict = false;
  int threads = 0;  // 0: all cores
  int batch_rows = 4096;
  PrepSettingNames names;  // for hints
};

struct PrepStats {
  int64_t rows_read = 0;
  int64_t rows_written = 0;
  int64_t rows_skipped = 0;
  std::vector<std::pair<std::string, int64_t>> label_counts;  // in label order
  bool multi_label = false;
  int64_t input_bytes = 0;
  double seconds = 0;
  double rows_per_second() const { return seconds > 0 ? rows_read / seconds : 0; }
  double mb_per_second() const { return seconds > 0 ? input_bytes / 1e6 / seconds : 0; }
};

// Throws berth::Error: usage_error for bad options, data_error for bad input (naming the file,
// line and record), model_error/tokenizer errors for an unusable model directory.
PrepStats prep_corpus(const PrepOptions& options);

// The default label order (see above).
std::vector<std::string> sort_label_names(std::vector<std::string> names);

}  // namespace berth::data
