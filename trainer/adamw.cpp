#include "trainer/adamw.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/error.h"

namespace berth::trainer {

bool AdamW::decays(const std::string& name, const at::Tensor& t) {
  if (name.find("LayerNorm") != std::string::npos || name.find("layer_norm") != std::string::npos)
    return false;
  if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) return false;
  return t.dim() > 1;
}

AdamW::AdamW(std::vector<NamedParameter> params, AdamWOptions options)
    : params_(std::move(params)), opt_(options) {
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& p = params_[i];
    decay_.push_back(decays(p.name, p.tensor));
    exp_avg_.push_back(at::zeros_like(p.tensor, at::MemoryFormat::Preserve));
    exp_avg_sq_.push_back(at::zeros_like(p.tensor, at::MemoryFormat::Preserve));
    auto g = std::find_if(groups_.begin(), groups_.end(), [&](const Group& x) {
      return x.decay == decay_.back() && x.lr_factor == p.lr_factor;
    });
    if (g == groups_.end()) g = groups_.insert(groups_.end(), Group{decay_.back(), p.lr_factor});
    g->members.push_back(i);
  }
  multi_tensor_ = options.multi_tensor < 0 ? !params_.empty() && params_.front().tensor.is_cuda()
                                           : options.multi_tensor > 0;
  if (opt_.fused && !params_.empty()) {
    auto f = at::TensorOptions().dtype(at::kFloat).device(params_.front().tensor.device());
    for (auto& g : groups_) g.lr = at::zeros({}, f);
    device_step_ = at::zeros({}, f);
  }
}

void AdamW::set_lr(double lr) {
  for (auto& g : groups_)
    if (g.lr.defined()) g.lr.fill_(lr * g.lr_factor);
}

int64_t AdamW::steps_taken() const {
  if (device_step_.defined()) return static_cast<int64_t>(device_step_.item<float>());
  return step_;
}

// torch.optim.AdamW(fused=True)'s arithmetic: each group (weight decay or not, lr factor) in one
// kernel; the step count is advanced before the update (bias correction uses the new count) and
// taken back where found_inf says the step was skipped, as torch does.
void AdamW::step_on_device(const at::Tensor& found_inf, const at::Tensor& grad_divisor) {
  c10::NoGradGuard no_grad;
  if (!opt_.fused || params_.empty()) {
    throw Error("optimizer", "step_on_device() needs the fused AdamW", "", ExitCode::kInternal);
  }
  std::optional<at::Tensor> inf, divisor;
  if (found_inf.defined()) inf = found_inf;
  if (grad_divisor.defined()) divisor = grad_divisor;
  device_step_.add_(1);
  for (const auto& group : groups_) {
    std::vector<at::Tensor> p, g, m, v;
    for (size_t i : group.members) {
      const auto& grad = params_[i].tensor.grad();
      if (!grad.defined()) continue;
      p.push_back(params_[i].tensor);
      g.push_back(grad);
      m.push_back(exp_avg_[i]);
      v.push_back(exp_avg_sq_[i]);
    }
    if (p.empty()) continue;
    // One step tensor for every parameter: the kernel only reads it.
    std::vector<at::Tensor> steps(p.size(), device_step_);
    at::_fused_adamw_(p, g, m, v, /*max_exp_avg_sqs=*/{}, steps, group.lr, opt_.beta1, opt_.beta2,
                      group.decay ? opt_.weight_decay : 0.0, opt_.eps, /*amsgrad=*/false,
                      /*maximize=*/false, /*grad_scale=*/divisor, inf);
  }
  if (found_inf.defined()) device_step_.sub_(found_inf.reshape({}));
}

// Two ways to run the same arithmetic (torch.optim.AdamW's single-tensor update), bitwise equal
// on CPU:
// - on CUDA, ATen multi-tensor ("foreach") ops over all parameters, as torch does by default
//   there: one kernel launch per op for the whole model instead of one per tensor (an H100 step of
//   a small model is bound by launches), at the cost of a fresh denominator per tensor per step,
//   which the caching allocator makes cheap;
// - on CPU, one tensor at a time with the denominator in one reused buffer: fresh tensors there
//   page-fault in tens of MB (the word embeddings) every step, which cost 2-3 points of
//   data-parallel efficiency (BENCHMARKS.md), and launches are cheap.
void AdamW::step(double lr) {
  if (opt_.fused) {
    set_lr(lr);
    step_on_device();
    return;
  }
  c10::NoGradGuard no_grad;
  ++step_;
  const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(step_));
  const double bc2_sqrt = std::sqrt(1.0 - std::pow(opt_.beta2, static_cast<double>(step_)));
  if (!multi_tensor_) {
    for (size_t i = 0; i < params_.size(); ++i) {
      const double lr_i = lr_of(i, lr);
      const double step_size = lr_i / bc1;
      const double decay = 1.0 - lr_i * opt_.weight_decay;
      auto& p = params_[i].tensor;
      const auto& g = p.grad();
      if (!g.defined()) continue;
      if (decay_[i] && opt_.weight_decay != 0) p.mul_(decay);
      exp_avg_[i].lerp_(g, 1.0 - opt_.beta1);
      exp_avg_sq_[i].mul_(opt_.beta2).addcmul_(g, g, 1.0 - opt_.beta2);
      if (!scratch_.defined() || scratch_.numel() < p.numel() || scratch_.device() != p.device())
        scratch_ = at::empty({p.numel()}, exp_avg_sq_[i].options());
      auto denom = scratch_.narrow(0, 0, p.numel()).view(p.sizes());
      at::sqrt_out(denom, exp_avg_sq_[i]).div_(bc2_sqrt).add_(opt_.eps);
      p.addcdiv_(exp_avg_[i], denom, -step_size);
    }
    return;
  }
  for (const auto& group : groups_) {
    std::vector<at::Tensor> params, grads, exp_avg, exp_avg_sq;
    for (size_t i : group.members) {
      const auto& g = params_[i].tensor.grad();
      if (!g.defined()) continue;
      params.push_back(params_[i].tensor);
      grads.push_back(g);
      exp_avg.push_back(exp_avg_[i]);
      exp_avg_sq.push_back(exp_avg_sq_[i]);
    }
    if (params.empty()) continue;
    const double lr_g = lr * group.lr_factor;
    const double step_size = lr_g / bc1;
    if (group.decay && opt_.weight_decay != 0)
      at::_foreach_mul_(params, 1.0 - lr_g * opt_.weight_decay);
    at::_foreach_lerp_(exp_avg, grads, 1.0 - opt_.beta1);
    at::_foreach_mul_(exp_avg_sq, opt_.beta2);
    at::_foreach_addcmul_(exp_avg_sq, grads, grads, 1.0 - opt_.beta2);
    auto denom = at::_foreach_sqrt(exp_avg_sq);
    at::_foreach_div_(denom, bc2_sqrt);
    at::_foreach_add_(denom, opt_.eps);
    at::_foreach_addcdiv_(params, exp_avg, denom, -step_size);
  }
}

std::vector<std::pair<std::string, at::Tensor>> AdamW::state() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    out.emplace_back(params_[i].name + ".exp_avg", exp_avg_[i]);
    out.emplace_back(params_[i].name + ".exp_avg_sq", exp_avg_sq_[i]);
  }
  return out;
}

void AdamW::load_state(const std::vector<std::pair<std::string, at::Tensor>>& state,
                       int64_t steps) {
  std::unordered_map<std::string, at::Tensor> by_name(state.begin(), state.end());
  c10::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    for (auto* slot : {&exp_avg_[i], &exp_avg_sq_[i]}) {
      std::string key = params_[i].name + (slot == &exp_avg_[i] ? ".exp_avg" : ".exp_avg_sq");
      auto it = by_name.find(key);
      if (it == by_name.end()) {
        throw model_error("optimizer", "optimizer state has no '" + key + "'",
                          "the checkpoint was written for another model; resume with the "
                          "model it was trained with");
      }
      if (it->second.sizes() != slot->sizes()) {
        throw model_error("optimizer", "optimizer state '" + key + "' has the wrong shape",
                          "the checkpoint was written for another model");
      }
      slot->copy_(it->second);
    }
  }
  step_ = steps;
  if (device_step_.defined()) device_step_.fill_(static_cast<double>(steps));
}

at::Tensor clip_coef_on_device(const std::vector<at::Tensor>& params, double max_norm,
                               at::Tensor& norm_out) {
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) {
    norm_out.zero_();
    return {};
  }
  auto total = at::stack(at::_foreach_norm(grads, 2)).to(at::kFloat).norm(2);
  norm_out.copy_(total.reshape(norm_out.sizes()));
  if (max_norm <= 0) return {};
  return (max_norm / (total + 1e-6)).clamp_max(1.0);  // 0-dim, on the gradients' device
}

void clip_grad_norm_on_device(const std::vector<at::Tensor>& params, double max_norm,
                              at::Tensor& norm_out) {
  at::Tensor coef = clip_coef_on_device(params, max_norm, norm_out);
  if (!coef.defined()) return;
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  at::_foreach_mul_(grads, coef);
}

double clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm) {
  // The device version, then one read of its result.
  at::Tensor norm =
      at::zeros({}, at::TensorOptions()
                        .dtype(at::kFloat)
                        .device(params.empty() ? at::Device(at::kCPU) : params[0].device()));
  clip_grad_norm_on_device(params, max_norm, norm);
  return norm.item<double>();
}

}  // namespace berth::trainer
