// The part of the fp16 loss scaler saved in checkpoints (trainer_state.json). Kept apart from
// loss_scaler.h, which needs LibTorch, so that the trainer state and its JSON reader do not: the
// reader parses untrusted files and is fuzzed without LibTorch (fuzz/fuzz_train_state.cpp).
#pragma once

#include <cstdint>

namespace berth::trainer {

struct LossScaleState {
  double scale;
  int64_t growth_tracker;
  int64_t skipped;
};

}  // namespace berth::trainer
