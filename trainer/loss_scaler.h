// Dynamic loss scaling for fp16 (torch.amp.GradScaler's rules): multiply the loss by `scale`,
// unscale gradients after they are all-reduced and check them for inf/NaN in the same pass;
// on overflow skip the step and halve the scale, after `growth_interval` good steps double it.
// Because the check runs on all-reduced gradients, every rank takes the same decision.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

#include "trainer/loss_scale_state.h"

namespace berth::trainer {

struct LossScalerOptions {
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
  double min_scale = 1.0 / 65536.0;  // below this the run is considered diverged
};

class LossScaler {
 public:
  LossScaler(bool enabled, at::Device device, LossScalerOptions options = {});

  bool enabled() const { return enabled_; }
  at::Tensor scale_loss(const at::Tensor& loss) const;
  // Unscales the gradients in place; returns true when all are finite (the step may proceed).
  // Also updates the scale. Throws berth::Error (kNumeric) if the scale collapsed. Reads a value
  // back from the device.
  bool unscale_and_update(const std::vector<at::Tensor>& grads);
  // The same without reading anything back (capturable in a CUDA graph): returns the found_inf
  // flag (a 1-element float tensor, 1 where the step must be skipped) for the optimizer, updates
  // the scale and counts skipped steps on the device. Disabled: an undefined tensor.
  at::Tensor unscale_on_device(const std::vector<at::Tensor>& grads);
  // Throws berth::Error (kNumeric) if the scale collapsed; reads the scale back.
  void check() const;

  double scale() const;
  int64_t skipped_steps() const;

  // For checkpoints (its own torch-free header, so that trainer_state.json's reader is too).
  using State = LossScaleState;
  State state() const;
  void load_state(const State& s);

 private:
  bool enabled_;
  LossScalerOptions opt_;
  at::Tensor scale_;           // (1,) float32 on the device
  at::Tensor growth_tracker_;  // (1,) int32 on the device
  at::Tensor found_inf_;       // (1,) float32 on the device, rewritten by each unscale
  at::Tensor skipped_;         // (1,) float32 on the device: steps skipped so far
};

}  // namespace berth::trainer
