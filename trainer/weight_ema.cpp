#include "trainer/weight_ema.h"

#include <c10/core/GradMode.h>

#include <unordered_map>

#include "common/error.h"

namespace berth::trainer {

WeightEma::WeightEma(std::vector<NamedParameter> params, double decay)
    : params_(std::move(params)), decay_(decay) {
  c10::NoGradGuard no_grad;
  for (const auto& p : params_) {
    params_t_.push_back(p.tensor);
    copy_.push_back(p.tensor.detach().clone(at::MemoryFormat::Preserve));
  }
}

void WeightEma::update() {
  if (swapped_) {
    throw Error("trainer", "the weight average was updated while evaluation weights were in place",
                "", ExitCode::kInternal);
  }
  c10::NoGradGuard no_grad;
  at::_foreach_lerp_(copy_, params_t_, 1.0 - decay_);
}

void WeightEma::swap() {
  c10::NoGradGuard no_grad;
  for (size_t i = 0; i < params_t_.size(); ++i) {
    at::Tensor held = params_t_[i].clone(at::MemoryFormat::Preserve);
    params_t_[i].copy_(copy_[i]);
    copy_[i].copy_(held);
  }
  swapped_ = !swapped_;
}

std::vector<std::pair<std::string, at::Tensor>> WeightEma::raw_weights() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (size_t i = 0; i < params_.size(); ++i)
    out.emplace_back(params_[i].name, swapped_ ? copy_[i] : params_t_[i].detach());
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> WeightEma::average() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (size_t i = 0; i < params_.size(); ++i)
    out.emplace_back(params_[i].name, swapped_ ? params_t_[i].detach() : copy_[i]);
  return out;
}

void WeightEma::restore(const std::vector<std::pair<std::string, at::Tensor>>& raw,
                        const std::string& source) {
  std::unordered_map<std::string, at::Tensor> by_name(raw.begin(), raw.end());
  c10::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto it = by_name.find(params_[i].name);
    if (it == by_name.end() || it->second.sizes() != params_t_[i].sizes()) {
      throw model_error(
          "trainer",
          source + " lacks the raw weights of '" + params_[i].name + "' (or has another shape)",
          "the checkpoint was written without train.ema_decay or for another "
          "model; resume from a checkpoint of this run");
    }
    copy_[i].copy_(params_t_[i]);
    params_t_[i].copy_(it->second);
  }
  swapped_ = false;
}

}  // namespace berth::trainer
