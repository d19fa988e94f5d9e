#include "trainer/loss_scaler.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "common/error.h"

namespace berth::trainer {

LossScaler::LossScaler(bool enabled, at::Device device, LossScalerOptions options)
    : enabled_(enabled), opt_(options) {
  auto f = at::TensorOptions().dtype(at::kFloat).device(device);
  scale_ = at::full({1}, enabled ? opt_.init_scale : 1.0, f);
  growth_tracker_ = at::zeros({1}, f.dtype(at::kInt));
  found_inf_ = at::zeros({1}, f);
  skipped_ = at::zeros({1}, f);
}

at::Tensor LossScaler::scale_loss(const at::Tensor& loss) const {
  return enabled_ ? loss * scale_.to(loss.scalar_type()) : loss;
}

at::Tensor LossScaler::unscale_on_device(const std::vector<at::Tensor>& grads) {
  if (!enabled_) return {};
  c10::NoGradGuard no_grad;
  found_inf_.zero_();
  auto inv_scale = scale_.reciprocal();
  std::vector<at::Tensor> defined;
  for (const auto& g : grads)
    if (g.defined()) defined.push_back(g);
  at::_amp_foreach_non_finite_check_and_unscale_(defined, found_inf_, inv_scale);
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, opt_.growth_factor,
                         opt_.backoff_factor, opt_.growth_interval);
  skipped_.add_(found_inf_);
  return found_inf_;
}

bool LossScaler::unscale_and_update(const std::vector<at::Tensor>& grads) {
  if (!enabled_) return true;
  bool ok = unscale_on_device(grads).item<float>() == 0.0f;
  check();
  return ok;
}

void LossScaler::check() const {
  if (!enabled_) return;
  double s = scale();
  if (s < opt_.min_scale) {
    throw Error("amp",
                "the fp16 loss scale collapsed to " + std::to_string(s) + " after " +
                    std::to_string(skipped_steps()) +
                    " skipped steps: gradients are inf/NaN at any scale",
                "the run diverged; lower optim.lr, check the data, or use train.precision = "
                "\"bf16\" or \"fp32\"",
                ExitCode::kNumeric);
  }
}

double LossScaler::scale() const {
  return scale_.item<double>();
}

int64_t LossScaler::skipped_steps() const {
  return static_cast<int64_t>(skipped_.item<float>());
}

LossScaler::State LossScaler::state() const {
  return {scale(), static_cast<int64_t>(growth_tracker_.item<int>()), skipped_steps()};
}

void LossScaler::load_state(const State& s) {
  scale_.fill_(s.scale);
  growth_tracker_.fill_(s.growth_tracker);
  skipped_.fill_(static_cast<double>(s.skipped));
}

}  // namespace berth::trainer
