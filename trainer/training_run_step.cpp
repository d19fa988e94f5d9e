#include <c10/core/GradMode.h>

#include <cmath>

#include "common/error.h"
#include "model/autocast_guard.h"
#include "trainer/batch_tensors.h"
#include "trainer/stop_signal.h"
#include "trainer/training_run.h"

namespace berth::trainer {

void TrainingRun::train_step() {
  auto t0 = Clock::now();
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

  // Nothing below reads a value back from the device until the step's end (a GPU would wait).
  at::Tensor loss_sum = at::zeros({1}, at::TensorOptions().dtype(at::kDouble).device(device_));
  int64_t tokens = 0;
  for (size_t m = 0; m < micro.size(); ++m) {
    const auto& mine = micro[m].per_rank[comm_.rank()];
    if (trace_.is_open()) trace_ << nlohmann::json(mine).dump() << "\n";
    auto batch = data::collate(data_->train.read(mine), tokenizer_->pad_id());
    auto t = to_tensors(batch, device_);
    window_padded_ += t.input_ids.numel();
    tokens += std::accumulate(batch.attention_mask.begin(), batch.attention_mask.end(), int64_t{0});
    if (word_embeddings_) reducer_->note_rows(*word_embeddings_, t.input_ids);
    reducer_->prepare(m + 1 == micro.size());
    auto tf = Clock::now();
    at::Tensor loss;
    {
      model::AutocastGuard ac(device_.type(), amp_);
      auto logits = model_.model->forward(t.input_ids, t.attention_mask, t.token_type_ids).logits;
      // Sum over this rank's examples divided by the global normaliser: summing gradients over
      // ranks then gives exactly the gradient of the global batch's mean loss.
      loss = at::cross_entropy_loss(logits.to(at::kFloat), t.labels, class_weights_,
                                    at::Reduction::Sum) /
             normaliser;
    }
    auto tb = Clock::now();
    scaler_->scale_loss(loss).backward();
    loss_sum += loss.detach().to(at::kDouble);
    window_forward_ += std::chrono::duration<double>(tb - tf).count();
    window_backward_ += seconds_since(tb);
  }
  auto tw = Clock::now();
  reducer_->finish();
  window_finish_ += seconds_since(tw);
  window_comm_wait_ += reducer_->take_wait_seconds();
  auto to = Clock::now();

  bool stepped = scaler_->unscale_and_update([&] {
    std::vector<at::Tensor> g;
    for (auto& p : params_) g.push_back(p.grad());
    return g;
  }());
  double grad_norm = NAN;
  double lr = schedule_->lr(state_.step);
  if (stepped) {
    grad_norm = clip_grad_norm(params_, cfg_.optim.max_grad_norm);
    optim_->step(lr);
  } else {
    log_->warn("step {}: inf/NaN gradients in fp16, step skipped, loss scale now {}",
               state_.step + 1, scaler_->scale());
  }
  for (auto& p : params_) p.mutable_grad() = at::Tensor();
  window_optimizer_ += seconds_since(to);

  // The global loss for the log (one scalar all-reduce).
  auto l = loss_sum.to(at::kCPU);
  if (comm_.world_size() > 1) comm_.all_reduce_sum(l)->wait();
  double global_loss = l.item<double>();
  if (!std::isfinite(global_loss) && cfg_.train.precision != "fp16") {
    throw Error("trainer",
                "the training loss is " + std::to_string(global_loss) + " at step " +
                    std::to_string(state_.step + 1),
                "the run diverged: lower optim.lr, enable optim.max_grad_norm, or check the data",
                ExitCode::kNumeric);
  }

  state_.step += 1;
  state_.position = pos;
  state_.samples_seen += examples;
  double dt = seconds_since(t0);
  state_.train_seconds += dt;
  session_seconds_ += dt;
  session_steps_ += 1;
  // The session's first step also pays for lazy initialisation: it counts only while alone.
  if (session_steps_ == 1)
    first_step_s_ = dt;
  else
    stop_cost_.step_s = std::max(stop_cost_.step_s, dt);
  window_loss_ += global_loss, window_seconds_ += dt, window_steps_ += 1;
  window_samples_ += examples, window_tokens_ += tokens * comm_.world_size();
  smoothed_loss_ =
      std::isnan(smoothed_loss_) ? global_loss : 0.9 * smoothed_loss_ + 0.1 * global_loss;
  if (state_.step % cfg_.train.log_every == 0 || state_.step == total_steps_)
    log_progress(global_loss, grad_norm, lr, stepped);
}

void TrainingRun::log_progress(double loss, double grad_norm, double lr, bool stepped) {
  double sps = window_samples_ / std::max(1e-9, window_seconds_);
  double tps = window_tokens_ / std::max(1e-9, window_seconds_);
  double eta =
      (total_steps_ - state_.step) * session_seconds_ / std::max<int64_t>(1, session_steps_);
  log_->info(
      "epoch {} step {}/{} loss {:.4f} (smoothed {:.4f}) lr {:.3e} grad_norm {:.3f} "
      "{:.1f} samples/s {:.0f} tokens/s eta {}",
      state_.epoch + 1, state_.step, total_steps_, window_loss_ / window_steps_, smoothed_loss_, lr,
      grad_norm, sps, tps, format_duration(eta));
  nlohmann::json rec = {{"type", "train"},
                        {"step", state_.step},
                        {"epoch", state_.epoch + 1},
                        {"loss", loss},
                        {"mean_loss", window_loss_ / window_steps_},
                        {"lr", lr},
                        {"samples_per_s", sps},
                        {"tokens_per_s", tps},
                        {"stepped", stepped},
                        {"eta_s", eta}};
  rec["grad_norm"] = std::isfinite(grad_norm) ? nlohmann::json(grad_norm) : nlohmann::json();
  // The share of step time spent waiting for gradients from other ranks (scaling benchmarks).
  if (comm_.world_size() > 1)
    rec["comm_wait_fraction"] = window_comm_wait_ / std::max(1e-9, window_seconds_);
  if (scaler_->enabled())
    rec["loss_scale"] = scaler_->scale(), rec["skipped_steps"] = scaler_->skipped_steps();
  metrics_.write(rec);
  log_->debug(
      "per step over the last {}: {:.3f}s = forward {:.3f}s + backward {:.3f}s + gradient "
      "reduction {:.3f}s + optimizer {:.3f}s, {} tokens (with padding) on this rank",
      window_steps_, window_seconds_ / window_steps_, window_forward_ / window_steps_,
      window_backward_ / window_steps_, window_finish_ / window_steps_,
      window_optimizer_ / window_steps_, window_padded_ / window_steps_);
  window_forward_ = window_backward_ = window_finish_ = window_optimizer_ = 0;
  window_padded_ = 0;
  window_loss_ = window_seconds_ = window_comm_wait_ = 0;
  window_steps_ = window_samples_ = window_tokens_ = 0;
}

}  // namespace berth::trainer
