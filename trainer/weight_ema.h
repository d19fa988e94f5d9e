// train.ema_decay: an exponential moving average of the weights (Marian's exponential
// smoothing; torch.optim.swa_utils.get_ema_multi_avg_fn's update), kept on the device beside the
// parameters and updated after every optimizer step:
//   average <- average + (1 - decay) * (weights - average)     (torch's _foreach_lerp_)
// starting from the weights the run starts with. Evaluation and saved checkpoints use the
// average: they swap it into the parameters for their duration (EmaScope). A checkpoint holds
// the average as its model (what predict, serve and export see) and the raw weights in
// weights_raw.safetensors, so that a resumed run continues both exactly.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "trainer/adamw.h"

namespace berth::trainer {

class WeightEma {
 public:
  WeightEma(std::vector<NamedParameter> params, double decay);

  // After an optimizer step; reads nothing back (a CUDA graph captures it with the step).
  void update();
  // Exchanges the contents of the parameters and the average, in place (the tensors keep their
  // addresses, which captured graphs rely on).
  void swap();
  bool average_in_parameters() const { return swapped_; }

  // The raw weights by parameter name, wherever they are at the moment.
  std::vector<std::pair<std::string, at::Tensor>> raw_weights() const;
  // The average by parameter name, wherever it is at the moment.
  std::vector<std::pair<std::string, at::Tensor>> average() const;
  // On resume: the parameters were loaded from the checkpoint's model (the average); `raw` are
  // its weights_raw.safetensors. The average moves to its copy, the raw weights into the
  // parameters. Throws naming `source` when a parameter is missing or mis-shaped.
  void restore(const std::vector<std::pair<std::string, at::Tensor>>& raw,
               const std::string& source);

 private:
  std::vector<NamedParameter> params_;
  std::vector<at::Tensor> params_t_, copy_;
  double decay_;
  bool swapped_ = false;
};

// Swaps the average into the parameters for a scope, unless it is there already (a checkpoint
// written during an evaluation).
class EmaScope {
 public:
  explicit EmaScope(WeightEma* ema) : ema_(ema && !ema->average_in_parameters() ? ema : nullptr) {
    if (ema_) ema_->swap();
  }
  ~EmaScope() {
    if (ema_) ema_->swap();
  }
  EmaScope(const EmaScope&) = delete;
  EmaScope& operator=(const EmaScope&) = delete;

 private:
  WeightEma* ema_;
};

}  // namespace berth::trainer
