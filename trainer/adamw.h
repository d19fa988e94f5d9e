// AdamW with decoupled weight decay, the update of torch.optim.AdamW (amsgrad off), on fp32
// master parameters. Groups: with and without weight decay (biases and LayerNorm weights go
// without, as in Hugging Face's Trainer), times each learning-rate factor (layer-wise decay,
// trainer/layer_decay.h). The learning rate is set per step by the schedule; a group trains at
// that rate times its factor.
#pragma once

#include <ATen/Tensor.h>

#include <string>
#include <vector>

namespace berth::trainer {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
  // The update as multi-tensor (foreach) ops: -1 where the parameters live on CUDA, 0 never,
  // 1 always (tests run both ways on CPU).
  int multi_tensor = -1;
  // ATen's fused AdamW kernel (_fused_adamw_, CPU and CUDA): one launch for all parameters of a
  // group, with the learning rate and the step count read from device tensors, so that a step
  // needs no host value and can be captured in a CUDA graph. Takes precedence over multi_tensor.
  bool fused = false;
};

struct NamedParameter {
  std::string name;
  at::Tensor tensor;       // fp32, requires grad
  double lr_factor = 1.0;  // this parameter's rate is lr * lr_factor
};

class AdamW {
 public:
  AdamW(std::vector<NamedParameter> params, AdamWOptions options);

  // One update with learning rate `lr` using each parameter's .grad() (a missing grad is skipped,
  // as torch does).
  void step(double lr);
  // The fused update with the learning rate already set by set_lr(); where `found_inf` (a
  // 1-element float tensor, fp16 loss scaling) is non-zero the kernel leaves everything as it
  // was and the step count is not advanced. Reads no host value: capturable in a CUDA graph.
  // `grad_divisor` (a 0-dim float tensor, optional): every gradient is divided by it inside the
  // kernel (and stored so), which is how gradient clipping joins the update instead of taking a
  // pass of its own over all gradients (clip_coef_on_device).
  void set_lr(double lr);
  void step_on_device(const at::Tensor& found_inf = {}, const at::Tensor& grad_divisor = {});
  bool fused() const { return opt_.fused; }
  // Updates applied so far (the fused path keeps the count on the device: this reads it back).
  int64_t steps_taken() const;

  // The rate of parameter i at base rate `lr` (tests compare it with the reference groups).
  double lr_of(size_t i, double lr) const { return lr * params_[i].lr_factor; }
  const std::vector<NamedParameter>& params() const { return params_; }

  // Bias, LayerNorm and other 1-D parameters get no weight decay.
  static bool decays(const std::string& name, const at::Tensor& t);

  // Moments for checkpoints: names "<param>.exp_avg" / "<param>.exp_avg_sq".
  std::vector<std::pair<std::string, at::Tensor>> state() const;
  void load_state(const std::vector<std::pair<std::string, at::Tensor>>& state, int64_t steps);

 private:
  // Parameters of one (weight decay, lr factor) pair: one fused or multi-tensor launch each.
  struct Group {
    bool decay = false;
    double lr_factor = 1.0;
    std::vector<size_t> members;  // indices into params_
    at::Tensor lr;                // fused path: lr * lr_factor, 0-dim float32 on the device
  };
  std::vector<NamedParameter> params_;
  std::vector<bool> decay_;
  std::vector<Group> groups_;
  std::vector<at::Tensor> exp_avg_;
  std::vector<at::Tensor> exp_avg_sq_;
  // The denominator of each update, in one buffer sized for the largest parameter: a fresh
  // tensor per step would page-fault in tens of MB (the word embeddings) every step.
  at::Tensor scratch_;
  bool multi_tensor_ = false;
  AdamWOptions opt_;
  int64_t step_ = 0;
  // Fused path: 0-dim float32 tensor on the parameters' device.
  at::Tensor device_step_;
};

// Clips gradients to a global L2 norm (torch.nn.utils.clip_grad_norm_ semantics, eps 1e-6);
// returns the norm before clipping. max_norm <= 0 only measures.
double clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm);
// The same on the device: the norm before clipping is written to `norm_out` (a 0-dim or
// 1-element float tensor) and nothing is read back, so it can run inside a CUDA graph.
void clip_grad_norm_on_device(const std::vector<at::Tensor>& params, double max_norm,
                              at::Tensor& norm_out);
// The measuring half of clip_grad_norm_on_device: writes the norm and returns the factor the
// gradients are to be multiplied by (0-dim, at most 1), without touching them; undefined when
// max_norm <= 0 or no parameter has a gradient.
at::Tensor clip_coef_on_device(const std::vector<at::Tensor>& params, double max_norm,
                               at::Tensor& norm_out);

}  // namespace berth::trainer
