// The order in which one epoch visits the corpus, and how it is dealt to ranks.
//
// The order is one seeded permutation per epoch, independent of the number of ranks: with length
// bucketing, chunks of `bucket_batches` batches (rounded up to whole blocks) are sorted by length
// and cut into groups of `batch_size` (one rank's micro-batch); blocks of kBlockGroups consecutive
// groups are shuffled, each block keeping its groups in sorted order. A global micro-step at
// position p (samples consumed in this epoch) gives rank r the group starting at p + r*batch_size,
// so with 2, 4 or 8 ranks the groups of a step come from one block and have nearly the same
// length (with other world sizes, most steps). Position is therefore the only state needed to
// resume, with the same or another world size.
//
// The tail: when fewer than world*batch_size examples remain, they are dealt as evenly as possible
// (contiguous slices); if fewer than `world` remain they are dropped (never more than world-1
// examples an epoch), so every rank always runs the same number of steps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace berth::trainer {

struct EpochPlanOptions {
  int64_t batch_size = 32;  // per rank
  uint64_t seed = 42;
  bool length_bucketing = true;
  int64_t bucket_batches = 50;
};

struct GlobalMicroBatch {
  std::vector<std::vector<int64_t>> per_rank;  // example indices for each rank
  int64_t total = 0;                           // examples over all ranks
  int64_t next_position = 0;
};

class EpochPlan {
 public:
  // Groups shuffled as one unit with length bucketing: the ranks of a step get similar lengths
  // for every world size dividing it, at the cost of runs of 8 similar-length batches on one rank.
  static constexpr size_t kBlockGroups = 8;
  // Names the algorithm that orders an epoch; saved in checkpoints so that a resume in the middle
  // of an epoch can tell when the order it resumes into is not the one the position counts in.
  // Change it whenever the order for the same seed and config changes.
  static constexpr int kOrderVersion = 2;

  EpochPlan(const std::vector<int32_t>& lengths, int64_t epoch, const EpochPlanOptions& options);

  const std::vector<int64_t>& order() const { return order_; }
  int64_t size() const { return static_cast<int64_t>(order_.size()); }

  // The examples of the global micro-step that starts at `position`; total == 0 at the end.
  GlobalMicroBatch micro_batch(int64_t position, int world_size) const;
  // Micro-steps in the epoch for a world size (counting a dealt tail, not a dropped one), from
  // `position` (examples already consumed) to the end.
  int64_t micro_steps(int world_size, int64_t position = 0) const;

 private:
  std::vector<int64_t> order_;
  int64_t batch_size_;
};

// Optimizer steps in an epoch: micro-steps grouped by `grad_accum`, the last group may be short.
int64_t optimizer_steps_per_epoch(int64_t micro_steps, int64_t grad_accum);

}  // namespace berth::trainer
