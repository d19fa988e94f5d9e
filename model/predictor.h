// Inference with a fine-tuned classifier directory: tokenizer + model, batched, on CPU or CUDA,
// optionally under autocast. Behind `berth predict` and `berth eval`. The header is torch-free
// (pimpl) so that command files need not compile LibTorch headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/table_reader.h"

namespace berth::model {

struct PredictorOptions {
  std::string model_dir;
  std::string device = "cpu";      // "cpu", "cuda", "cuda:N"
  std::string precision = "fp32";  // "fp32", or "bf16"/"fp16" for autocast
  int64_t batch_size = 64;
  int max_length = 128;  // tokens per example, [CLS]/[SEP] included; at most the model's limit
};

struct Prediction {
  int64_t label = 0;          // argmax class id
  std::vector<float> logits;  // one per class
  std::vector<float> probs;   // softmax of logits
};

// Where the examples come from: a CSV/TSV/JSONL/TXT file and its columns.
struct TableSpec {
  std::string path;
  std::string format;  // "" = from the extension
  std::string text_column = "text";
  std::string pair_column;   // "" = single texts
  std::string label_column;  // "" = unlabeled
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
  int max_length() const;

  // Predictions for texts (and, when `pairs` is not empty, text pairs), in order.
  std::vector<Prediction> predict(const std::vector<std::string>& texts,
                                  const std::vector<std::string>& pairs = {});

  // Streams the table in batches and calls `sink` for every record, in file order, with its
  // prediction and label id (-1 without a label column). Labels are read as label names, or as
  // class ids when they are integers that are not names; anything else is a data_error naming
  // the file, line and the known labels.
  using Sink = std::function<void(const data::TableRow& row, const Prediction& p, int64_t label)>;
  void predict_table(const TableSpec& spec, const Sink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::model
