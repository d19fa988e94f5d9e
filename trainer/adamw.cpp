#include "trainer/adamw.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

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
  for (const auto& p : params_) {
    decay_.push_back(decays(p.name, p.tensor));
    exp_avg_.push_back(at::zeros_like(p.tensor, at::MemoryFormat::Preserve));
    exp_avg_sq_.push_back(at::zeros_like(p.tensor, at::MemoryFormat::Preserve));
  }
}

// The update runs as ATen multi-tensor ("foreach") ops over all parameters at once, as
// torch.optim.AdamW does by default on CUDA: one kernel launch per op for the whole model instead
// of one per parameter tensor (a GPU step of a small model is bound by launches). On CPU the
// foreach ops run the same per-tensor ops in a loop, so the result is bitwise the per-tensor one.
void AdamW::step(double lr) {
  c10::NoGradGuard no_grad;
  ++step_;
  const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(step_));
  const double bc2_sqrt = std::sqrt(1.0 - std::pow(opt_.beta2, static_cast<double>(step_)));
  const double step_size = lr / bc1;
  std::vector<at::Tensor> params, grads, exp_avg, exp_avg_sq, decayed;
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& g = params_[i].tensor.grad();
    if (!g.defined()) continue;
    params.push_back(params_[i].tensor);
    grads.push_back(g);
    exp_avg.push_back(exp_avg_[i]);
    exp_avg_sq.push_back(exp_avg_sq_[i]);
    if (decay_[i]) decayed.push_back(params_[i].tensor);
  }
  if (params.empty()) return;
  if (!decayed.empty() && opt_.weight_decay != 0)
    at::_foreach_mul_(decayed, 1.0 - lr * opt_.weight_decay);
  at::_foreach_lerp_(exp_avg, grads, 1.0 - opt_.beta1);
  at::_foreach_mul_(exp_avg_sq, opt_.beta2);
  at::_foreach_addcmul_(exp_avg_sq, grads, grads, 1.0 - opt_.beta2);
  auto denom = at::_foreach_sqrt(exp_avg_sq);
  at::_foreach_div_(denom, bc2_sqrt);
  at::_foreach_add_(denom, opt_.eps);
  at::_foreach_addcdiv_(params, exp_avg, denom, -step_size);
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
}

double clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm) {
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;
  auto total = at::stack(at::_foreach_norm(grads, 2)).to(at::kFloat).norm(2);
  double total_norm = total.item<double>();
  if (max_norm > 0) {
    auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);  // 0-dim, on the gradients' device
    at::_foreach_mul_(grads, coef);
  }
  return total_norm;
}

}  // namespace berth::trainer
