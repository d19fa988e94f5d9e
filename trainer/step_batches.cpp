#include "trainer/step_batches.h"

#include <nlohmann/json.hpp>
#include <numeric>

namespace berth::trainer {

StepBatcher::StepBatcher(const TrainConfig& cfg, const data::Corpus& train, int32_t pad_id,
                         int64_t label_count, std::vector<double> class_weights, int rank,
                         int world_size)
    : cfg_(cfg),
      train_(train),
      pad_id_(pad_id),
      label_count_(label_count),
      class_weights_(std::move(class_weights)),
      rank_(rank),
      world_size_(world_size) {
  lengths_.resize(train.size());
  for (int64_t i = 0; i < train.size(); ++i) lengths_[i] = train.length(i);
}

void StepBatcher::trace_to(const std::string& path) {
  trace_.open(path);
}

const EpochPlan& StepBatcher::plan(int64_t epoch) {
  if (plan_epoch_ != epoch) {
    plan_.emplace(lengths_, epoch,
                  EpochPlanOptions{cfg_.data.batch_size, static_cast<uint64_t>(cfg_.train.seed),
                                   cfg_.data.length_bucketing, cfg_.data.bucket_batches});
    plan_epoch_ = epoch;
  }
  return *plan_;
}

int64_t StepBatcher::micro_steps(int64_t position) const {
  // The count does not depend on the order: epoch 0's plan without bucketing is enough.
  EpochPlan probe(lengths_, 0, {cfg_.data.batch_size, 0, false, 1});
  return probe.micro_steps(world_size_, position);
}

bool StepBatcher::epoch_done(int64_t epoch, int64_t position) {
  const auto& p = plan(epoch);
  return position >= p.size() || p.micro_batch(position, world_size_).total == 0;
}

StepBatches StepBatcher::next(int64_t epoch, int64_t position) {
  const auto& p = plan(epoch);
  // Every rank knows every micro-batch of the step, so that the loss is normalised by the global
  // example count (or class-weight sum) before any communication.
  std::vector<GlobalMicroBatch> micro;
  StepBatches s;
  s.next_position = position;
  for (int64_t a = 0; a < cfg_.optim.grad_accum; ++a) {
    auto mb = p.micro_batch(s.next_position, world_size_);
    if (mb.total == 0) break;
    s.next_position = mb.next_position;
    micro.push_back(std::move(mb));
  }
  for (const auto& mb : micro) {
    s.examples += mb.total;
    for (const auto& idx : mb.per_rank)
      for (int64_t i : idx)
        s.normaliser += class_weights_.empty() ? 1.0 : class_weights_[train_.label(i)];
  }
  for (const auto& mb : micro) {
    const auto& mine = mb.per_rank[rank_];
    if (trace_.is_open()) trace_ << nlohmann::json(mine).dump() << "\n";
    s.mine.push_back(data::collate(train_.read(mine), pad_id_, pad_multiple_, label_count_));
    const auto& b = s.mine.back();
    s.padded += static_cast<int64_t>(b.input_ids.size());
    s.tokens += std::accumulate(b.attention_mask.begin(), b.attention_mask.end(), int64_t{0});
  }
  return s;
}

}  // namespace berth::trainer
