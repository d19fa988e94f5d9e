// The training configuration: one typed struct, filled from TOML, overridable from the command
// line (--set section.key=value), validated in one place, printed at start and saved in every
// checkpoint. Each option is declared once, in visit_options() (train_config.cpp), with its key,
// its documentation and whether it may change when a run is resumed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/choices.h"
#include "common/device_setting.h"

namespace berth::trainer {

// runtime.stop_signal: the signal (besides TERM and INT) that asks a run to stop at the next step
// boundary and write a checkpoint; Slurm's --signal names it (trainer/stop_signal.h).
enum class StopSignal { kUsr1, kUsr2, kTerm, kInt, kHup, kUrg, kXcpu };
// runtime.log_level: the least severe record logged.
enum class LogLevel { kDebug, kInfo, kWarn, kError };

// optim.class_weights: none | auto | a list, one weight per label (TOML array or comma-separated
// string). Multi-label: BCE's positive weights (auto: negatives / positives of each label in the
// training corpus); single-label: auto is scikit-learn's "balanced".
struct ClassWeights {
  enum class Kind { kNone, kAuto, kGiven };
  Kind kind = Kind::kNone;
  std::vector<double> given;  // kGiven: the weights, in label order
  std::string text = "none";  // as written (the config's TOML keeps it)
  // Null unless "none", "auto" or non-negative numbers separated by commas.
  static std::optional<ClassWeights> parse(const std::string& text);
};

struct ModelOptions {
  std::string path = "models/default";  // Hugging Face BERT directory (or a Berth checkpoint)
};

struct DataOptions {
  std::string train;  // .h5 corpus, or CSV/TSV/JSONL prepped on the fly into cache_dir
  std::string dev;    // "" = none
  std::string test;   // "" = none
  std::string text_column = "text";
  std::string label_column = "label";
  std::string text_pair_column;  // "" = single texts
  // Multi-label: a label cell lists labels (JSON array in JSONL, else label_separator between
  // them) when a table is prepped; a .h5 corpus carries its own kind, which must agree.
  bool multi_label = false;
  std::string label_separator = "|";
  int64_t batch_size = 32;  // per rank, per micro-step
  int64_t eval_batch_size = 64;
  int64_t max_length = 128;
  // Which word pieces of a longer text are kept (data/truncation.h): head | tail | head_tail.
  Truncation truncation = Truncation::kHead;
  int64_t head_tokens = -1;  // head_tail: pieces kept from the start; -1 = max_length / 4
  bool length_bucketing = true;
  int64_t bucket_batches = 50;  // batches sorted by length together before shuffling
  // CUDA: the next batch is collated while the device runs the current step and copied from
  // pinned memory without blocking (off: a pageable, synchronous copy per tensor).
  bool prefetch = true;
  std::string cache_dir;  // "" = $XDG_CACHE_HOME/berth/corpora or ~/.cache/berth/corpora
};

struct OptimOptions {
  double lr = 5e-5;
  double weight_decay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  int64_t warmup_steps = -1;  // -1 = use warmup_ratio
  double warmup_ratio = 0.1;
  Schedule schedule = Schedule::kLinear;  // linear | cosine | constant
  double max_grad_norm = 1.0;             // 0 = no clipping
  int64_t grad_accum = 1;
  ClassWeights class_weights;
  // AdamW as ATen's fused kernel (_fused_adamw_: one launch for all parameters, learning rate
  // and step count on the device); off: the multi-tensor (CUDA) or per-tensor (CPU) update.
  bool fused = true;
  // Layer-wise learning-rate decay (ELECTRA, DeBERTa recipes): the head at optim.lr, encoder
  // layer i of L at lr * layer_decay^(L - i), the embeddings at lr * layer_decay^(L + 1)
  // (trainer/layer_decay.h); 1 = one rate for all.
  double layer_decay = 1.0;
};

struct TrainOptions {
  int64_t epochs = 3;
  int64_t max_steps = -1;  // optimizer steps; -1 = epochs decide
  int64_t seed = 42;
  Precision precision = Precision::kFp32;  // fp32 | bf16 | fp16
  int64_t eval_every = 0;                  // steps; 0 = at each epoch end only
  int64_t log_every = 10;
  int64_t early_stopping_patience = 0;  // evaluations without improvement; 0 = off
  Metric metric = Metric::kAccuracy;    // accuracy | macro_f1 | micro_f1 | loss
  // Multi-label: at each dev evaluation pick every label's decision threshold (grid 0.01..0.99,
  // best F1 on dev); checkpoints store them (thresholds.json). Off: 0.5 for every label.
  bool tune_thresholds = false;
  std::string run_dir = "runs/default";  // log, metrics.jsonl, checkpoints (by default)
  bool deterministic = true;
  // Record optimizer step N (1-based) with LibTorch's profiler into
  // <run_dir>/profile-step-N-rank-R.json (bench/profile_table.py summarises it); 0 = off.
  int64_t profile_step = 0;
  // An exponential moving average of the weights, updated after each optimizer step (ema =
  // decay * ema + (1 - decay) * weights); evaluation and saved checkpoints use it
  // (trainer/weight_ema.h). 0 = off; typical 0.999.
  double ema_decay = 0;
  // Label smoothing: torch's cross_entropy(label_smoothing=) for single-label, BCE targets
  // y * (1 - eps) + eps / 2 for multi-label (trainer/training_loss.h). 0 = off.
  double label_smoothing = 0;
};

// Knowledge distillation from a trained Berth checkpoint (same labels, same tokenizer): loss =
// (1 - alpha) * CE(labels) + alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T));
// multi-label: BCE against sigmoid(teacher / T). The teacher runs in each step (no grad).
struct DistillOptions {
  std::string teacher;       // checkpoint directory; "" = off
  double temperature = 2.0;  // T
  double alpha = 0.5;        // weight of the teacher term
};

struct CheckpointOptions {
  std::string dir;          // "" = <train.run_dir>/checkpoints
  int64_t every_steps = 0;  // 0 = off
  double every_minutes = 0;
  int64_t keep_last = 2;  // 0 = keep all
  int64_t keep_best = 1;
};

struct RuntimeOptions {
  DeviceSetting device;  // cpu | cuda | cuda:N
  int64_t threads = 0;   // intra-op threads per rank; 0 = cores / local ranks
  StopSignal stop_signal = StopSignal::kUsr1;
  double comm_timeout_s = 300;
  LogLevel log_level = LogLevel::kInfo;
  bool cudnn_attention = false;  // let SDPA use cuDNN on CUDA (slow on new shapes; see docs)
  // CPU dropout masks from Berth's counter-based generator (model/fast_dropout.h) rather than
  // ATen's per-element bernoulli_; false gives ATen's masks.
  bool fast_dropout = true;
  // CUDA, one rank: capture each step (forward, backward, clipping, AdamW) as a CUDA graph per
  // padded batch shape and replay it; needs optim.fused. Lengths are rounded up to a multiple
  // of graph_length_multiple so that a handful of shapes cover a run.
  bool cuda_graphs = true;
  int64_t graph_length_multiple = 16;
  int64_t graph_warmup_steps = 2;  // eager steps of a shape before it is captured
};

struct TrainConfig {
  ModelOptions model;
  DataOptions data;
  OptimOptions optim;
  TrainOptions train;
  DistillOptions distill;
  CheckpointOptions checkpoint;
  RuntimeOptions runtime;

  // Loads a TOML file (unknown keys, wrong types -> errors naming key and file), then applies
  // `overrides` ("section.key=value", value in TOML syntax or a bare string), then validates.
  static TrainConfig load(const std::string& path, const std::vector<std::string>& overrides);
  // Same from TOML text (for tests and for configs saved in checkpoints).
  static TrainConfig parse(const std::string& toml_text, const std::string& origin,
                           const std::vector<std::string>& overrides = {});

  // Throws berth::Error (kUsage) naming the key when a value is impossible. (A name outside a
  // closed set, such as train.precision = "fp8", fails earlier, when it is read.)
  void validate(const std::string& origin) const;
  // The resolved config as TOML (every key, documented defaults included).
  std::string to_toml() const;
  // SHA-256 of to_toml(): identifies the exact configuration of a run.
  std::string hash() const;

  std::string checkpoint_dir() const;
};

// Differences between a saved config and the current one, split by whether a resumed run may
// carry them (more steps, another eval interval) or not (model, data, batch size, precision...).
struct ConfigDiff {
  std::vector<std::string> harmless;      // "train.max_steps: 100 -> 200"
  std::vector<std::string> incompatible;  // "data.batch_size: 32 -> 16"
};
ConfigDiff compare(const TrainConfig& saved, const TrainConfig& current);

}  // namespace berth::trainer

namespace berth {
template <>
struct ChoiceNames<trainer::StopSignal> {
  static constexpr std::array<const char*, 7> names{"USR1", "USR2", "TERM", "INT",
                                                    "HUP",  "URG",  "XCPU"};
};
template <>
struct ChoiceNames<trainer::LogLevel> {
  static constexpr std::array<const char*, 4> names{"debug", "info", "warn", "error"};
};
}  // namespace berth
