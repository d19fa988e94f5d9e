#include <ATen/record_function.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <ctime>
#include <numeric>

#include "common/error.h"
#include "common/live_line.h"
#include "model/autocast_guard.h"
#include "model/batch_tensors.h"
#include "model/classification_loss.h"
#include "trainer/step_profiler.h"
#include "trainer/stop_signal.h"
#include "trainer/training_run.h"

namespace berth::trainer {

// One optimizer step. Nothing in it reads a value back from the device: the loss, the gradient
// norm and the fp16 overflow flag stay there (step_loss_, grad_norm_) and are read once per
// logging window by flush_losses(), so a GPU is never left waiting for the CPU to launch work.
void TrainingRun::train_step() {
  std::optional<StepProfiler> profiler;
  if (cfg_.train.profile_step == state_.step + 1)
    profiler.emplace(layout_.profile(state_.step + 1, comm_.rank()).string());
  auto t0 = Clock::now();
  const std::clock_t cpu0 = std::clock();
  if (plan_epoch_ != state_.epoch) {
    plan_.emplace(lengths_, state_.epoch,
                  EpochPlanOptions{cfg_.data.batch_size, static_cast<uint64_t>(cfg_.train.seed),
                                   cfg_.data.length_bucketing, cfg_.data.bucket_batches});
    plan_epoch_ = state_.epoch;
  }
  // The micro-batches of this optimizer step, known to every rank, so that the loss can be
  // normalised by the global example count (or class-weight sum) before any communication.
  std::vector<GlobalMicroBatch> micro;
  int64_t pos = state_.position;
  for (int64_t a = 0; a < cfg_.optim.grad_accum; ++a) {
    auto mb = plan_->micro_batch(pos, comm_.world_size());
    if (mb.total == 0) break;
    pos = mb.next_position;
    micro.push_back(std::move(mb));
  }
  double normaliser = 0;
  int64_t examples = 0;
  for (const auto& mb : micro) {
    examples += mb.total;
    for (const auto& idx : mb.per_rank)
      for (int64_t i : idx)
        normaliser +=
            class_weight_values_.empty() ? 1.0 : class_weight_values_[data_->train.label(i)];
  }
  std::vector<data::Batch> batches;
  int64_t tokens = 0;
  for (const auto& mb : micro) {
    const auto& mine = mb.per_rank[comm_.rank()];
    if (trace_.is_open()) trace_ << nlohmann::json(mine).dump() << "\n";
    batches.push_back(
        data::collate(data_->train.read(mine), tokenizer_->pad_id(), pad_multiple_, label_count_));
    const auto& b = batches.back();
    window_.padded += static_cast<int64_t>(b.input_ids.size());
    tokens += std::accumulate(b.attention_mask.begin(), b.attention_mask.end(), int64_t{0});
  }

  const double lr = schedule_->lr(state_.step);
  // Device-side inputs of the step: filled by a launch, not read by the host.
  normaliser_.fill_(normaliser);
  optim_->set_lr(lr);
  if (graphs_ && graphs_->enabled() && batches.size() == 1) {
    const auto& b = batches.front();
    GraphShape shape{b.batch_size, b.seq_len, model::has_padding(b)};
    at::Tensor host = model::pack_batch(b, /*pinned=*/true);
    at::Tensor input = graphs_->input_buffer(shape, host.numel());
    input.copy_(host, /*non_blocking=*/true);
    model::BatchTensors t =
        model::unpack_batch(input, b.batch_size, b.seq_len, shape.masked, b.label_count);
    graphs_->run(shape, [&] {
      zero_grads();
      step_loss_.zero_();
      forward_backward(t);
      optimizer_update(lr);
    });
  } else {
    if (persistent_grads_) zero_grads();
    step_loss_.zero_();
    for (size_t m = 0; m < batches.size(); ++m) {
      auto& b = batches[m];
      model::BatchTensors t;
      if (device_.is_cuda() && cfg_.data.prefetch) {
        t = model::unpack_batch(model::pack_batch(b, true).to(device_, /*non_blocking=*/true),
                                b.batch_size, b.seq_len, model::has_padding(b), b.label_count);
      } else {
        t = model::to_tensors(b, device_);
        if (!model::has_padding(b)) t.attention_mask = at::Tensor();
      }
      if (word_embeddings_) reducer_->note_rows(*word_embeddings_, t.input_ids);
      reducer_->prepare(m + 1 == batches.size());
      forward_backward(t);
    }
    auto tw = Clock::now();
    reducer_->finish();
    window_.finish += seconds_since(tw);
    window_.comm_wait += reducer_->take_wait_seconds();
    auto to = Clock::now();
    RECORD_USER_SCOPE("optimizer");
    optimizer_update(lr);
    // The reducer's buckets are free again once the .grad views are dropped (several ranks).
    if (!persistent_grads_)
      for (auto& p : params_) p.mutable_grad() = at::Tensor();
    window_.optimizer += seconds_since(to);
  }
  // This step's loss (and skip flag) joins the ones not yet read back.
  if (pending_ == loss_log_.size(0)) flush_losses();
  if (pending_ == 0) pending_first_step_ = state_.step + 1;
  loss_log_.narrow(0, pending_, 1).copy_(step_loss_.unsqueeze(0));
  pending_ += 1;

  state_.step += 1;
  state_.position = pos;
  state_.samples_seen += examples;
  window_.steps += 1;
  window_.samples += examples, window_.tokens += tokens * comm_.world_size();
  const bool log_now = state_.step % cfg_.train.log_every == 0 || state_.step == total_steps_;
  // Reading the losses back waits for the queued steps: that wait is training time.
  if (log_now) flush_losses();
  double dt = seconds_since(t0);
  window_.cpu_seconds += static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  if (profiler) {
    settle_device();
    log_->info("step {} profiled ({:.3f} s with the profiler's cost): {}", state_.step, dt,
               profiler->stop());
  }
  state_.train_seconds += dt;
  session_.seconds += dt;
  session_.steps += 1;
  window_.seconds += dt;
  // The session's first step also pays for lazy initialisation: it counts only while alone. A
  // step that read the losses back also waited for the queued ones: log_progress() counts it.
  if (session_.steps == 1)
    first_step_s_ = dt;
  else if (!log_now)
    stop_cost_.step_s = std::max(stop_cost_.step_s, dt);
  if (log_now) log_progress(lr);
  if (log::live_progress()) show_live_progress();
}

void TrainingRun::zero_grads() {
  std::vector<at::Tensor> grads;
  for (auto& p : params_) grads.push_back(p.mutable_grad());
  at::_foreach_zero_(grads);
}

void TrainingRun::forward_backward(const model::BatchTensors& t) {
  auto tf = Clock::now();
  at::Tensor loss;
  {
    RECORD_USER_SCOPE("forward");
    model::AutocastGuard ac(device_.type(), amp_);
    auto logits = model_.model->forward(t.input_ids, t.attention_mask, t.token_type_ids).logits;
    // Sum over this rank's examples divided by the global normaliser: summing gradients over
    // ranks then gives exactly the gradient of the global batch's mean loss.
    loss =
        model::classification_loss_sum(logits.to(at::kFloat), t.labels, problem_, class_weights_) /
        normaliser_;
  }
  auto tb = Clock::now();
  {
    RECORD_USER_SCOPE("backward");
    scaler_->scale_loss(loss).backward();
  }
  step_loss_.narrow(0, 0, 1).add_(loss.detach().reshape({1}));
  window_.forward += std::chrono::duration<double>(tb - tf).count();
  window_.backward += seconds_since(tb);
}

void TrainingRun::optimizer_update(double lr) {
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

double TrainingRun::flush_losses() {
  if (pending_ == 0) return 0.0;
  auto t0 = Clock::now();
  // (pending, 2): loss, skipped flag; the copy to the host waits for the queued steps.
  at::Tensor l = loss_log_.narrow(0, 0, pending_).to(at::kCPU).contiguous();
  // The global losses (one all-reduce per window; every rank flushes at the same steps).
  if (comm_.world_size() > 1) comm_.all_reduce_sum(l)->wait();
  const double* v = l.data_ptr<double>();
  const int64_t n = pending_;
  pending_ = 0;
  for (int64_t i = 0; i < n; ++i) {
    double loss = v[2 * i];
    bool skipped = v[2 * i + 1] > 0;
    int64_t step = pending_first_step_ + i;
    if (!std::isfinite(loss) && cfg_.train.precision != Precision::kFp16) {
      throw Error(
          "trainer",
          "the training loss is " + std::to_string(loss) + " at step " + std::to_string(step),
          "the run diverged: lower optim.lr, enable optim.max_grad_norm, or check the data",
          ExitCode::kNumeric);
    }
    if (skipped) {
      log_->warn("step {}: inf/NaN gradients in fp16, step skipped", step);
    } else if (std::isfinite(loss)) {
      smoothed_loss_ = std::isnan(smoothed_loss_) ? loss : 0.9 * smoothed_loss_ + 0.1 * loss;
    }
    window_.loss += loss;
    last_loss_ = loss;
    last_stepped_ = !skipped;
  }
  if (scaler_->enabled()) scaler_->check();
  return seconds_since(t0);
}

void TrainingRun::settle_device() {
  // Steps queued on the device finish before evaluation or a checkpoint reads the weights; the
  // wait belongs to training time.
  double waited = flush_losses();
  state_.train_seconds += waited;
  session_.seconds += waited;
  window_.seconds += waited;
}

void TrainingRun::log_progress(double lr) {
  double grad_norm = grad_norm_.item<double>();
  double sps = window_.samples / std::max(1e-9, window_.seconds);
  double tps = window_.tokens / std::max(1e-9, window_.seconds);
  double eta =
      (total_steps_ - state_.step) * session_.seconds / std::max<int64_t>(1, session_.steps);
  // A step's wall time, measured over the window (a single step's time is only its launch).
  if (session_.steps > window_.steps)
    stop_cost_.step_s = std::max(stop_cost_.step_s, window_.seconds / window_.steps);
  // On a terminal the live line shows this; the log file still gets the line.
  log::progress(
      *log_, fmt::format("epoch {} step {}/{} loss {:.4f} (smoothed {:.4f}) lr {:.3e} "
                         "grad_norm {:.3f} {:.1f} samples/s {:.0f} tokens/s eta {}",
                         state_.epoch + 1, state_.step, total_steps_, window_.loss / window_.steps,
                         smoothed_loss_, lr, grad_norm, sps, tps, format_duration(eta)));
  last_window_sps_ = sps, last_window_loss_ = window_.loss / window_.steps;
  nlohmann::json rec = {{"epoch", state_.epoch + 1},
                        {"loss", last_loss_},
                        {"mean_loss", window_.loss / window_.steps},
                        {"lr", lr},
                        {"samples_per_s", sps},
                        {"tokens_per_s", tps},
                        {"samples", window_.samples},
                        {"tokens", window_.tokens},
                        {"seconds", window_.seconds},
                        {"cpu_seconds", window_.cpu_seconds},
                        {"padded_tokens", window_.padded * comm_.world_size()},
                        {"stepped", last_stepped_},
                        {"eta_s", eta}};
  rec["grad_norm"] = std::isfinite(grad_norm) ? nlohmann::json(grad_norm) : nlohmann::json();
  // The share of step time spent waiting for gradients from other ranks (scaling benchmarks).
  if (comm_.world_size() > 1)
    rec["comm_wait_fraction"] = window_.comm_wait / std::max(1e-9, window_.seconds);
  if (scaler_->enabled())
    rec["loss_scale"] = scaler_->scale(), rec["skipped_steps"] = scaler_->skipped_steps();
  if (graphs_) rec["graph_replays"] = graphs_->replays();
  metrics_.write(run_directory::RecordType::kTrain, state_.step, rec);
  log_->debug(
      "per step over the last {}: {:.3f}s = forward {:.3f}s + backward {:.3f}s + gradient "
      "reduction {:.3f}s + optimizer {:.3f}s (host time; on a GPU the launches), {} tokens "
      "(with padding) on this rank",
      window_.steps, window_.seconds / window_.steps, window_.forward / window_.steps,
      window_.backward / window_.steps, window_.finish / window_.steps,
      window_.optimizer / window_.steps, window_.padded / window_.steps);
  window_.reset();
}

}  // namespace berth::trainer
