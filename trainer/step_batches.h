// The micro-batches of each optimizer step, the same on every rank: the epoch's order
// (EpochPlan, made once per epoch), this rank's share of each micro-batch collated (lengths
// rounded up for CUDA graphs), and the global example count and loss normaliser, known before
// any communication. Also writes the --trace-batches test hook's lines.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "data/corpus.h"
#include "trainer/epoch_plan.h"
#include "trainer/train_config.h"

namespace berth::trainer {

struct StepBatches {
  std::vector<data::Batch> mine;  // this rank's micro-batches, in order
  int64_t next_position = 0;      // in the epoch, after this step
  int64_t examples = 0;           // over all ranks
  double normaliser = 0;          // examples, or their class-weight sum (over all ranks)
  int64_t tokens = 0;             // this rank's real tokens
  int64_t padded = 0;             // this rank's positions with padding
};

class StepBatcher {
 public:
  // `class_weights`: single-label class weights (the normaliser sums them), else empty.
  // `label_count`: labels per multi-hot row (multi-label), 0 for single-label.
  StepBatcher(const TrainConfig& cfg, const data::Corpus& train, int32_t pad_id,
              int64_t label_count, std::vector<double> class_weights, int rank, int world_size);

  // Batch lengths rounded up to this multiple (CUDA graphs).
  void set_pad_multiple(int multiple) { pad_multiple_ = multiple; }
  // Test hook: every micro-batch's example indices of this rank, one JSON array a line.
  void trace_to(const std::string& path);

  // The optimizer step starting `position` samples into `epoch`.
  StepBatches next(int64_t epoch, int64_t position);
  // True when `epoch` has no micro-batch left at `position`.
  bool epoch_done(int64_t epoch, int64_t position);
  // Micro-steps of one epoch at this world size from `position` (all epochs have the same).
  int64_t micro_steps(int64_t position = 0) const;

 private:
  const EpochPlan& plan(int64_t epoch);

  const TrainConfig& cfg_;
  const data::Corpus& train_;
  int32_t pad_id_;
  int64_t label_count_;
  std::vector<double> class_weights_;
  int rank_, world_size_;
  int pad_multiple_ = 1;
  std::vector<int32_t> lengths_;
  std::optional<EpochPlan> plan_;
  int64_t plan_epoch_ = -1;
  std::ofstream trace_;
};

}  // namespace berth::trainer
