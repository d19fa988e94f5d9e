#include "trainer/epoch_plan.h"

#include <algorithm>
#include <numeric>

namespace berth::trainer {

namespace {

// splitmix64: a portable, well-mixed generator; std::shuffle's algorithm differs between
// standard libraries and would make the data order depend on the build.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) {  // uniform in [0, n) without modulo bias
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }

 private:
  uint64_t state_;
};

template <class T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

}  // namespace

EpochPlan::EpochPlan(const std::vector<int32_t>& lengths, int64_t epoch,
                     const EpochPlanOptions& options)
    : batch_size_(options.batch_size) {
  Rng rng(options.seed * 1000003ull + static_cast<uint64_t>(epoch) * 7919ull + 17);
  order_.resize(lengths.size());
  std::iota(order_.begin(), order_.end(), 0);
  shuffle(order_, rng);
  if (!options.length_bucketing) return;

  // Sorted chunks hold whole blocks, so that no block mixes the long end of one chunk with the
  // short start of the next.
  const size_t b = static_cast<size_t>(batch_size_);
  const size_t block = b * kBlockGroups;
  const size_t blocks_per_chunk =
      (static_cast<size_t>(options.bucket_batches) + kBlockGroups - 1) / kBlockGroups;
  const size_t chunk = block * blocks_per_chunk;
  for (size_t start = 0; start < order_.size(); start += chunk) {
    auto first = order_.begin() + start;
    auto last = order_.begin() + std::min(order_.size(), start + chunk);
    std::stable_sort(first, last, [&](int64_t a, int64_t c) { return lengths[a] < lengths[c]; });
  }
  // Shuffle whole blocks of consecutive groups: blocks come in random order, and inside one the
  // groups keep their sorted order, so that the ranks of one step (consecutive groups) get
  // batches of nearly the same length and none waits for another's longer backward. The final
  // partial block and partial group (if any) stay last so that every other block is full and
  // aligned with the steps.
  size_t full_blocks = order_.size() / block;
  std::vector<size_t> blocks(full_blocks);
  std::iota(blocks.begin(), blocks.end(), 0);
  shuffle(blocks, rng);
  std::vector<int64_t> shuffled;
  shuffled.reserve(order_.size());
  for (size_t k : blocks)
    shuffled.insert(shuffled.end(), order_.begin() + k * block, order_.begin() + (k + 1) * block);
  shuffled.insert(shuffled.end(), order_.begin() + full_blocks * block, order_.end());
  order_ = std::move(shuffled);
}

GlobalMicroBatch EpochPlan::micro_batch(int64_t position, int world_size) const {
  GlobalMicroBatch mb;
  mb.per_rank.resize(world_size);
  int64_t remaining = size() - position;
  int64_t full = batch_size_ * world_size;
  if (remaining <= 0 || remaining < world_size) {  // end, or a tail too small to deal
    mb.next_position = size();
    return mb;
  }
  int64_t take = std::min(remaining, full);
  int64_t pos = position;
  for (int r = 0; r < world_size; ++r) {
    int64_t n = take == full ? batch_size_ : take / world_size + (r < take % world_size ? 1 : 0);
    mb.per_rank[r].assign(order_.begin() + pos, order_.begin() + pos + n);
    pos += n;
  }
  mb.total = take;
  mb.next_position = position + take;
  return mb;
}

int64_t EpochPlan::micro_steps(int world_size, int64_t position) const {
  const int64_t left = std::max<int64_t>(0, size() - position);
  const int64_t full = batch_size_ * world_size;
  int64_t steps = left / full;
  if (left % full >= world_size) ++steps;
  return steps;
}

int64_t optimizer_steps_per_epoch(int64_t micro_steps, int64_t grad_accum) {
  return (micro_steps + grad_accum - 1) / grad_accum;
}

}  // namespace berth::trainer
