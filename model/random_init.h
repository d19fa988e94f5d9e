// Whether the encoders' constructors draw their random initial weights (init_bert_weights).
// Inference loads every weight from a checkpoint and refuses one that lacks any (Predictor), so
// the draws, N(0, 0.02) over every parameter (22.7M numbers for the default model, 7-9% of
// the CPU samples of a 2-text `berth predict`), are overwritten unread: the Predictor skips them.
#pragma once

namespace berth::model {

// While one lives, on this thread, init_bert_weights leaves the weights as constructed (zeros,
// LayerNorm ones). Explicit resets (Dense::reset, as the loader's for missing heads) still draw.
class NoRandomInit {
 public:
  NoRandomInit();
  ~NoRandomInit();
  NoRandomInit(const NoRandomInit&) = delete;
  NoRandomInit& operator=(const NoRandomInit&) = delete;

 private:
  bool before_;
};

bool random_init_enabled();

}  // namespace berth::model
