// Whole training steps as CUDA graphs. At batch 32 x ~25 tokens a step of a BERT classifier is a
// thousand small kernels, and the GPU waits for the CPU that launches them; a captured step is
// replayed with one launch. A graph is fixed to its tensors' addresses and shapes, so:
//   - each padded batch shape (batch, length rounded up, masked or not) gets its own graph,
//     captured after `warmup` eager steps of that shape (lazy initialisation must not happen
//     inside a capture), and replayed from then on;
//   - the step reads only persistent tensors: the per-shape input buffer handed out here, the
//     parameters, their .grad (zeroed inside the step, never replaced), the optimizer state, and
//     device-side learning rate, step count and loss scale;
//   - every step, eager or replayed, runs on one side stream that stays current for the object's
//     lifetime (capture cannot use the legacy default stream), so eager warm-ups, replays,
//     evaluation and checkpoints are ordered without cross-stream events.
// A capture that fails (an op that synchronises, an unsupported kernel) turns graphs off for the
// run with a warning; that step and all later ones run eagerly, so a run never fails for it.
// Dropout stays correct: ATen's CUDA generator advances its offset on each replay.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace berth::trainer {

struct GraphShape {
  int64_t batch = 0;
  int64_t seq = 0;
  bool masked = true;  // an attention mask is passed (the batch has padding)
  bool operator<(const GraphShape& o) const {
    return batch != o.batch ? batch < o.batch : seq != o.seq ? seq < o.seq : masked < o.masked;
  }
};

class StepGraphs {
 public:
  // Only where StepGraphs::supported(); makes a side stream of `device` current.
  StepGraphs(at::Device device, int64_t warmup);
  ~StepGraphs();
  StepGraphs(const StepGraphs&) = delete;
  StepGraphs& operator=(const StepGraphs&) = delete;

  // True in builds with CUDA.
  static bool supported();

  // The persistent int64 input buffer of `shape` (`numel` elements, allocated on first use).
  at::Tensor input_buffer(const GraphShape& shape, int64_t numel);
  // Runs `step` for a batch of `shape`: eagerly while the shape warms up or graphs are off,
  // otherwise by replaying its graph (capturing it first on its first use after warm-up).
  void run(const GraphShape& shape, const std::function<void()>& step);

  bool enabled() const;
  int64_t graphs() const;   // captured so far
  int64_t replays() const;  // steps run by replay
  const std::string& disabled_reason() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::trainer
