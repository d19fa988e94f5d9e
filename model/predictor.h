// Inference with a fine-tuned classifier directory: tokenizer + model, batched, on CPU or CUDA,
// optionally under autocast. Behind `berth predict` and `berth eval`. The header is torch-free
// (pimpl) so that command files need not compile LibTorch headers.
//
// Batching: inputs are taken a window at a time (window_batches × batch_size examples), sorted
// by token length inside the window so that each batch holds examples of similar length, padded
// to the longest of its batch only, and handed back in input order. Memory is bounded by one
// window whatever the input size. Results do not depend on the batching beyond float rounding:
// padding is masked.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/choices.h"
#include "data/corpus_example.h"
#include "data/table_reader.h"
#include "data/truncation.h"

namespace berth::data {
class Tokenizer;
}

namespace berth::model {

struct PredictorOptions {
  std::string model_dir;
  // Chosen from --device by the communicator factory (distributed::process_device), which
  // decides every process's device.
  c10::Device device{c10::kCPU};
  // fp32, bf16/fp16 for autocast, or int8 (CPU: dynamic int8 Linear layers, model/int8_linear.h;
  // fp32 elsewhere).
  InferencePrecision precision = InferencePrecision::kFp32;
  int64_t batch_size = 64;
  int max_length = 128;  // tokens per example, [CLS]/[SEP] included; at most the model's limit
  // Which word pieces of a longer single text are kept (data/truncation.h); pairs: longest_first.
  data::TruncationRule truncation;
  // --windows: > -1 reads whole texts (tables only) in overlapping windows sharing this many word
  // pieces (data/text_windows.h); a text's prediction combines its windows' logits
  // (model/window_aggregator.h). -1: one example per text, cut by `truncation`.
  int windows_stride = -1;
  WindowAggregate window_aggregate = WindowAggregate::kMean;
  // Intra-op CPU threads (at::set_num_threads, process-wide; also used to tokenize a window in
  // parallel). 0 = one per core (std::thread::hardware_concurrency()).
  int threads = 0;
  int64_t window_batches = 32;  // batches per length-sorting window; 1 = no reordering
  // fp32 on a CPU with AVX-512: linear maps over weights packed once (model/packed_gemm.h)
  // instead of at::linear. Off only to compare the two (bench/predict_latency).
  bool pack_fp32_weights = true;
};

struct Prediction {
  int64_t label = 0;          // argmax class id
  std::vector<float> logits;  // one per class
  std::vector<float> probs;   // softmax of logits; multi-label: sigmoid of each logit
  // Multi-label: the labels at or over their decision threshold, most probable first.
  std::vector<int64_t> labels;
};

// Counters since the Predictor was made; times are wall-clock seconds.
struct PredictStats {
  int64_t examples = 0;       // sequences through the model (with --windows: windows)
  int64_t texts = 0;          // records predict_table handed to its sink
  int64_t tokens = 0;         // real tokens, [CLS]/[SEP] included
  int64_t padded_tokens = 0;  // batch_size × seq_len summed over batches: what was computed
  int64_t batches = 0;
  double load_s = 0;      // loading the model and tokenizer
  double tokenize_s = 0;  // tokenizing texts (0 for a corpus)
  double forward_s = 0;   // collating, the forward passes and softmax
};

// Where the examples come from: a CSV/TSV/JSONL/TXT file and its columns.
struct TableSpec {
  std::string path;
  std::string format;  // "" = from the extension
  std::string text_column = "text";
  std::string pair_column;   // "" = single texts
  std::string label_column;  // "" = unlabeled
  // Multi-label models: between the labels of a CSV/TSV label cell (a JSONL cell may also be a
  // JSON array), as `berth prep --label-separator`.
  std::string label_separator = "|";
};

class Predictor {
 public:
  // Loads the model and its tokenizer. A directory whose classifier head (or pooler) is missing
  // is refused: its predictions would be random.
  explicit Predictor(const PredictorOptions& options);
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;

  const std::vector<std::string>& label_names() const;
  // From config.json's problem_type; multi-label models decide per label (thresholds()).
  bool multi_label() const;
  // Multi-label: each label's decision threshold (thresholds.json, else 0.5), in label order.
  const std::vector<double>& thresholds() const;
  int max_length() const;
  const PredictStats& stats() const;
  // The model's tokenizer (thread-safe), for callers that tokenize on their own threads and
  // hand the examples to predict_examples (berth serve).
  const data::Tokenizer& tokenizer() const;

  // Predictions for texts (and, when `pairs` is not empty, text pairs), in order.
  std::vector<Prediction> predict(const std::vector<std::string>& texts,
                                  const std::vector<std::string>& pairs = {});

  // Predictions for already tokenized examples (input_ids with [CLS]/[SEP]; token_type_ids
  // empty or one per id), in order. An example longer than the model's position embeddings is a
  // data_error naming its source_row.
  std::vector<Prediction> predict_examples(const std::vector<data::Example>& examples);

  // With windows_stride >= 0 each record's prediction combines its text's windows (pairs are
  // refused).
  // Streams the table in windows and calls `sink` for every record, in file order, with its
  // prediction and label ids: one for a single-label model, the label set for a multi-label one
  // (the cell read as by `berth prep --multi-label`), none without a label column. Labels are
  // read as label names, or as class ids when they are integers that are not names; anything
  // else is a data_error naming the file, line and the known labels.
  using Sink = std::function<void(const data::TableRow& row, const Prediction& p,
                                  const std::vector<int64_t>& labels)>;
  void predict_table(const TableSpec& spec, const Sink& sink);

  // Streams a labelled corpus written by `berth prep` (.h5) and calls `sink` for every example,
  // in corpus order, with its source row, prediction and label ids of this model (one, or the
  // label set of a multi-label corpus, which a multi-label model needs).
  // The corpus must have been tokenized with this model's tokenizer (same fingerprint) and its
  // labels are mapped by name onto the model's id2label; an unknown name, an unlabeled corpus or
  // another tokenizer is a data_error (before any compute). Examples are used as stored: the
  // corpus's truncation applies, not max_length.
  using CorpusSink = std::function<void(int64_t source_row, const Prediction& p,
                                        const std::vector<int64_t>& labels)>;
  void predict_corpus(const std::string& path, const CorpusSink& sink);

 private:
  // --windows: the windows of texts[i] (rows[i] names its record), predicted a sorting window of
  // examples at a time; done(i, prediction) once per text, in order.
  void predict_windows(const std::vector<std::string>& texts,
                       const std::vector<data::TableRow>& rows,
                       const std::function<void(size_t, const Prediction&)>& done);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::model
