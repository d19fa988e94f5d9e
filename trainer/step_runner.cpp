#include "trainer/step_runner.h"

#include <ATen/record_function.h>
#include <c10/core/GradMode.h>

#include <cmath>

#include "common/clock.h"
#include "model/autocast_guard.h"
#include "trainer/layer_decay.h"

namespace berth::trainer {

StepRunner::StepRunner(const TrainConfig& cfg, model::SequenceClassifier& model,
                       ProblemType problem, at::Tensor class_weights,
                       distributed::Communicator& comm, at::Device device,
                       std::optional<at::ScalarType> autocast,
                       std::shared_ptr<model::SequenceClassifier> teacher)
    : cfg_(cfg), model_(model), problem_(problem), comm_(comm), device_(device), amp_(autocast) {
  std::vector<NamedParameter> named;
  std::vector<std::string> names;
  for (const auto& item : model_.named_parameters()) {
    named.push_back({item.key(), item.value()});
    names.push_back(item.key());
    params_.push_back(item.value());
  }
  const auto factors = layer_decay_factors(model_.family(), names, cfg.optim.layer_decay);
  for (size_t i = 0; i < named.size(); ++i) named[i].lr_factor = factors[i];
  AdamWOptions adamw{cfg.optim.beta1, cfg.optim.beta2, cfg.optim.eps, cfg.optim.weight_decay};
  adamw.fused = cfg.optim.fused;
  optim_ = std::make_unique<AdamW>(named, adamw);
  if (cfg.train.ema_decay > 0) ema_ = std::make_unique<WeightEma>(named, cfg.train.ema_decay);
  auto on_device = at::TensorOptions().device(device_);
  step_loss_ = at::zeros({2}, on_device.dtype(at::kDouble));
  grad_norm_ = at::zeros({}, on_device.dtype(at::kFloat));
  normaliser_ = at::ones({}, on_device.dtype(at::kFloat));
  scaler_ = std::make_unique<LossScaler>(cfg.train.precision == Precision::kFp16, device_);
  distributed::GradientReducerOptions reduce;
  // The word embeddings are half of the gradient bytes but only the rows of the step's token ids
  // are non-zero: those alone are summed. On CPU only: on CUDA, sizing the union of rows needs a
  // host sync inside backward, and the path has not run on a GPU yet; NCCL sums the dense table.
  const auto& words = model_.word_embedding_weight();
  for (size_t i = 0; i < params_.size() && device_.is_cpu(); ++i)
    if (params_[i].is_same(words)) word_embeddings_ = i, reduce.row_sparse.push_back(i);
  reducer_ = std::make_unique<distributed::GradientReducer>(params_, comm_, reduce);
  if (class_weights.defined()) class_weights = class_weights.to(device_);
  loss_ = std::make_unique<TrainingLoss>(cfg, problem_, class_weights, std::move(teacher));
}

StepRunner::~StepRunner() = default;

// CUDA graphs of whole steps where they can work: one GPU rank (the gradient all-reduce is not
// captured), the fused optimizer (the others read the step count on the host) and no gradient
// accumulation (a step of several micro-batches is not one fixed shape).
int StepRunner::enable_graphs(int64_t max_position_embeddings, spdlog::logger& log) {
  if (!device_.is_cuda() || !cfg_.runtime.cuda_graphs) return 1;
  std::string off;
  if (!StepGraphs::supported())
    off = "this build has no CUDA";
  else if (comm_.world_size() > 1)
    off = "several ranks (the gradient all-reduce is not captured)";
  else if (!cfg_.optim.fused)
    off = "optim.fused = false (the unfused AdamW reads its step count on the host)";
  else if (cfg_.optim.grad_accum > 1)
    off = "optim.grad_accum > 1";
  if (!off.empty()) {
    log.info("CUDA graphs off: {}", off);
    return 1;
  }
  // Lengths rounded up to the multiple, unless that passes the model's position limit.
  int64_t multiple = cfg_.runtime.graph_length_multiple;
  auto rounded = [&](int64_t m) { return (cfg_.data.max_length + m - 1) / m * m; };
  while (multiple > 1 && rounded(multiple) > max_position_embeddings) multiple /= 2;
  // .grad tensors that live for the run: a graph writes into the ones it was captured with.
  {
    c10::NoGradGuard no_grad;
    for (auto& p : params_)
      if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
  }
  persistent_grads_ = true;
  graphs_ = std::make_unique<StepGraphs>(device_, cfg_.runtime.graph_warmup_steps);
  log.info(
      "CUDA graphs on: batch lengths rounded up to a multiple of {}, each shape captured after "
      "{} eager step(s)",
      multiple, cfg_.runtime.graph_warmup_steps);
  return static_cast<int>(multiple);
}

void StepRunner::run(const std::vector<data::Batch>& batches, double normaliser, double lr,
                     StepMeter& meter) {
  // Device-side inputs of the step: filled by a launch, not read by the host.
  normaliser_.fill_(normaliser);
  optim_->set_lr(lr);
  if (graphs_ && graphs_->enabled() && batches.size() == 1) {
    // The batch goes into the shape's persistent buffer, which the graph reads.
    const auto& b = batches.front();
    GraphShape shape{b.batch_size, b.seq_len, model::has_padding(b)};
    at::Tensor host = model::pack_batch(b, /*pinned=*/true);
    at::Tensor input = graphs_->input_buffer(shape, host.numel());
    input.copy_(host, /*non_blocking=*/true);
    model::BatchTensors t =
        model::unpack_batch(input, b.batch_size, b.seq_len, shape.masked, b.label_count);
    graphs_->run(shape, [&] {
      body(
          1, [&](size_t) { return t; }, lr, meter);
    });
    return;
  }
  body(
      batches.size(),
      [&](size_t m) {
        const auto& b = batches[m];
        if (device_.is_cuda() && cfg_.data.prefetch)
          return model::unpack_batch(model::pack_batch(b, true).to(device_, /*non_blocking=*/true),
                                     b.batch_size, b.seq_len, model::has_padding(b), b.label_count);
        auto t = model::to_tensors(b, device_);
        if (!model::has_padding(b)) t.attention_mask = at::Tensor();
        return t;
      },
      lr, meter);
}

void StepRunner::body(size_t micro_batches, const Input& input, double lr, StepMeter& meter) {
  if (persistent_grads_) zero_grads();
  step_loss_.zero_();
  for (size_t m = 0; m < micro_batches; ++m) {
    model::BatchTensors t = input(m);
    if (word_embeddings_) reducer_->note_rows(*word_embeddings_, t.input_ids);
    reducer_->prepare(m + 1 == micro_batches);
    forward_backward(t, meter);
  }
  auto tw = Clock::now();
  reducer_->finish();
  meter.finish += seconds_since(tw);
  meter.comm_wait += reducer_->take_wait_seconds();
  auto to = Clock::now();
  {
    RECORD_USER_SCOPE("optimizer");
    optimizer_update(lr);
    if (ema_) ema_->update();
  }
  // The reducer's buckets are free again once the .grad views are dropped (several ranks).
  if (!persistent_grads_)
    for (auto& p : params_) p.mutable_grad() = at::Tensor();
  meter.optimizer += seconds_since(to);
}

void StepRunner::zero_grads() {
  std::vector<at::Tensor> grads;
  for (auto& p : params_) grads.push_back(p.mutable_grad());
  at::_foreach_zero_(grads);
}

void StepRunner::forward_backward(const model::BatchTensors& t, StepMeter& meter) {
  auto tf = Clock::now();
  at::Tensor loss;
  {
    RECORD_USER_SCOPE("forward");
    model::AutocastGuard ac(device_.type(), amp_);
    auto logits = model_.forward(t.input_ids, t.attention_mask, t.token_type_ids).logits;
    // Sum over this rank's examples divided by the global normaliser: summing gradients over
    // ranks then gives exactly the gradient of the global batch's mean loss.
    loss = loss_->sum(logits.to(at::kFloat), t) / normaliser_;
  }
  auto tb = Clock::now();
  {
    RECORD_USER_SCOPE("backward");
    scaler_->scale_loss(loss).backward();
  }
  step_loss_.narrow(0, 0, 1).add_(loss.detach().reshape({1}));
  meter.forward += std::chrono::duration<double>(tb - tf).count();
  meter.backward += seconds_since(tb);
}

void StepRunner::optimizer_update(double lr) {
  std::vector<at::Tensor> grads;
  for (auto& p : params_) grads.push_back(p.grad());
  at::Tensor found_inf = scaler_->unscale_on_device(grads);
  if (found_inf.defined()) step_loss_.narrow(0, 1, 1).copy_(found_inf);
  if (optim_->fused()) {
    // The clipping factor is applied inside the kernel (as a divisor of the gradients) rather
    // than by a pass of its own over every gradient: one read and write of 91 MB fewer per step
    // for the default model. With fp16 an inf norm gives a NaN divisor, and the kernel skips
    // the step on found_inf anyway.
    at::Tensor coef = clip_coef_on_device(params_, cfg_.optim.max_grad_norm, grad_norm_);
    optim_->step_on_device(found_inf, coef.defined() ? coef.reciprocal() : at::Tensor());
    return;
  }
  // The unfused update takes its decision on the host (the only read-back, fp16 only).
  if (found_inf.defined() && found_inf.item<float>() != 0.0f) {
    grad_norm_.fill_(NAN);
    return;
  }
  clip_grad_norm_on_device(params_, cfg_.optim.max_grad_norm, grad_norm_);
  optim_->step(lr);
}

double StepRunner::grad_norm() const {
  return grad_norm_.item<double>();
}

}  // namespace berth::trainer
