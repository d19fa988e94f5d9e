// Berth's training state inside a checkpoint directory, beside the Hugging Face model files:
//   trainer_state.json    step, epoch, position, best metric, early stopping, loss scale, ...
//   optimizer.safetensors AdamW moments by parameter name (fp32)
//   rng-rank-<r>.bin      each rank's generator states (CPU, then CUDA when used)
//   config.toml           the resolved config of the run
//   thresholds.json       multi-label runs that tuned their decision thresholds on dev
//   weights_raw.safetensors  train.ema_decay runs: the raw weights (the model files hold the
//                         average, trainer/weight_ema.h)
// (docs/checkpoint-format.md). Rank 0 writes; every rank contributes its RNG state.
#pragma once

#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "model/model_config.h"
#include "model/sequence_classifier.h"
#include "trainer/adamw.h"
#include "trainer/train_config.h"
#include "trainer/train_state.h"
#include "trainer/weight_ema.h"

namespace berth::trainer {

struct CheckpointContents {
  model::SequenceClassifier* model;
  const model::ModelConfig* model_config;
  const std::vector<std::string>* label_names;
  std::string tokenizer_dir;
  const AdamW* optimizer;
  const TrainState* state;
  const TrainConfig* config;
  // Multi-label decision thresholds chosen on dev (label order); empty: none tuned (0.5 each).
  const std::vector<double>* thresholds = nullptr;
  // train.ema_decay: the average, whose raw weights are saved beside the model; null when off.
  const WeightEma* ema = nullptr;
};

// Fills `dir` (a checkpoint writer's temporary directory) on rank 0; collects RNG states from
// every rank. Must be called on all ranks together.
void write_training_checkpoint(const std::string& dir, const CheckpointContents& c,
                               distributed::Communicator& comm, const at::Device& device);

// This rank's generator state as bytes, and back.
std::string rng_state_bytes(const at::Device& device);
void restore_rng_state(const std::string& bytes, const at::Device& device,
                       const std::string& source);

// Reads trainer_state.json, config.toml and optimizer.safetensors, restores this rank's RNG.
// The model weights are loaded by the caller (model::load_classifier on the same directory).
TrainState read_training_state(const std::string& dir);
TrainConfig read_saved_config(const std::string& dir);
void load_optimizer_state(const std::string& dir, AdamW& optimizer, int64_t steps);
// train.ema_decay: the parameters hold the checkpoint's model (the average); this moves it into
// `ema` and loads the raw weights into the parameters.
void load_weight_average(const std::string& dir, WeightEma& ema);
void restore_rank_rng(const std::string& dir, int rank, const at::Device& device);

}  // namespace berth::trainer
