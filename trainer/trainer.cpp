#include "trainer/trainer.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "checkpoint/retention.h"
#include "common/error.h"
#include "common/live_line.h"
#include "common/log.h"
#include "model/decision_thresholds.h"
#include "trainer/evaluator.h"
#include "trainer/stop_signal.h"
#include "trainer/training_checkpoint.h"
#include "trainer/training_run.h"

namespace berth::trainer {

namespace fs = std::filesystem;
using run_directory::RecordType;

void TrainingRun::evaluate_dev(const char* when) {
  if (!data_->dev) return;
  settle_device();
  EmaScope average(step_->ema());  // the average is what train.ema_decay evaluates and saves
  auto r =
      evaluate(*model_.model, *data_->dev, cfg_.data.eval_batch_size, tokenizer_->pad_id(), device_,
               step_->autocast(), comm_, {problem_, thresholds_, cfg_.train.tune_thresholds});
  // The checkpoints written from now on carry the thresholds chosen on this evaluation.
  if (cfg_.train.tune_thresholds) thresholds_ = r.report.thresholds;
  double m = r.metric(cfg_.train.metric);
  bool better = is_better(cfg_.train.metric, m, state_.best_metric);
  // The epoch of the last step (1-based): right after an epoch ends, the one that just ended.
  const int64_t epoch = state_.position == 0 && state_.epoch > 0 ? state_.epoch : state_.epoch + 1;
  const bool multi = problem_ == ProblemType::kMultiLabel;
  log_->info("eval ({}) epoch {} step {}: loss {:.4f} {} {:.4f}{} macro_f1 {:.4f}{}{}", when, epoch,
             state_.step, r.loss, multi ? "subset_accuracy" : "accuracy", r.report.accuracy,
             multi ? fmt::format(" micro_f1 {:.4f}", r.report.micro_f1) : std::string(),
             r.report.macro_f1,
             multi && cfg_.train.tune_thresholds ? " (thresholds tuned on dev)" : "",
             better ? " (best so far)" : "");
  nlohmann::json per_class_f1 = nlohmann::json::object();
  for (const auto& c : r.report.per_class) per_class_f1[c.name] = c.f1;
  nlohmann::json rec = {{"split", "dev"},
                        {"epoch", epoch},
                        {"loss", r.loss},
                        {"accuracy", r.report.accuracy},
                        {"macro_f1", r.report.macro_f1},
                        {"per_class_f1", per_class_f1},
                        {"examples", r.report.total}};
  if (multi) {
    rec["problem_type"] = to_string(problem_);
    rec["subset_accuracy"] = r.report.accuracy;
    rec["micro_f1"] = r.report.micro_f1;
    rec["thresholds_tuned"] = cfg_.train.tune_thresholds;
  }
  metrics_.write(RecordType::kEval, state_.step, rec);
  progress_.set_last_dev(fmt::format("dev {} {:.4f}", to_string(cfg_.train.metric), m));
  if (better) {
    state_.best_metric = m;
    state_.best_step = state_.step;
    state_.evals_without_improvement = 0;
    if (cfg_.checkpoint.keep_best > 0) {
      state_.checkpoint_metrics[state_.step] = m;
      save_checkpoint("best");
      if (writer_) writer_->mark_best(state_.step);
    }
  } else {
    state_.evals_without_improvement += 1;
    int64_t patience = cfg_.train.early_stopping_patience;
    if (patience > 0 && state_.evals_without_improvement >= patience) {
      state_.early_stopped = true;
      log_->info("early stopping: no improvement of {} in {} evaluations",
                 to_string(cfg_.train.metric), patience);
    }
  }
}

// Checkpoints are written by path: if the run directory was moved or replaced while the run was
// live (RunLock::in_place), stop instead of writing into what is now another directory. Every rank
// learns it from rank 0 (the lock holder) before any rank starts writing.
void TrainingRun::ensure_run_dirs_in_place(const char* why) {
  const checkpoint::RunLock* moved = nullptr;
  for (const auto* lock : {&run_lock_, &checkpoint_lock_})
    if (!moved && !lock->in_place()) moved = lock;
  if (!comm_.any(moved != nullptr)) return;
  const std::string where =
      moved ? moved->key() + " " + moved->dir().string() : std::string("the run directory");
  throw Error("checkpoint",
              where +
                  " is no longer the directory this run locked at its start (it was moved, "
                  "deleted or replaced while the run was live); the " +
                  std::string(why) + " checkpoint of step " + std::to_string(state_.step) +
                  " is not written there",
              "the run's earlier checkpoints went wherever the directory went; resume from there "
              "with --set train.run_dir=<its new path> (and checkpoint.dir if set)",
              ExitCode::kUsage);
}

void TrainingRun::save_checkpoint(const char* why) {
  settle_device();
  if (events_.saved_at(state_.step)) return;
  ensure_run_dirs_in_place(why);
  EmaScope average(step_->ema());
  auto t0 = Clock::now();
  state_.scaler = step_->scaler().state();
  if (!state_.checkpoint_metrics.count(state_.step))
    state_.checkpoint_metrics[state_.step] = std::nullopt;
  CheckpointContents c{model_.model.get(),
                       &model_.config,
                       &model_.label_names,
                       cfg_.model.path,
                       &step_->optimizer(),
                       &state_,
                       &cfg_,
                       &thresholds_,
                       step_->ema()};
  fs::path written;
  if (writer_) {
    written = writer_->write(
        state_.step,
        [&](const fs::path& dir) { write_training_checkpoint(dir.string(), c, comm_, device_); },
        {{"reason", why}, {"epoch", state_.epoch}});
  } else {
    write_training_checkpoint("", c, comm_, device_);
  }
  // Every rank agrees the checkpoint is complete before it counts.
  comm_.barrier();
  events_.saved(state_.step);
  if (writer_) {
    checkpoint::apply_retention(
        layout_.checkpoints(),
        {static_cast<size_t>(cfg_.checkpoint.keep_last),
         static_cast<size_t>(cfg_.checkpoint.keep_best), cfg_.train.metric != Metric::kLoss},
        state_.checkpoint_metrics);
    log_->info("checkpoint ({}) step {} written to {} in {:.1f}s", why, state_.step,
               written.string(), seconds_since(t0));
  }
  double seconds = seconds_since(t0);
  progress_.add_checkpoint_seconds(seconds);
  const StopCost cost = progress_.stop_cost();
  nlohmann::json rec = {{"reason", why}, {"seconds", seconds}};
  if (cost.step_s > 0) rec["step_s"] = cost.step_s;  // read back by the next run's lead check
  metrics_.write(RecordType::kCheckpoint, state_.step, rec);
  if (comm_.rank() == 0 && !lead_checked_ && cost.known()) {
    lead_checked_ = true;  // once per process: when the first checkpoint's cost is known
    check_signal_lead(cost, "this run's");
  }
}

void TrainingRun::check_signal_lead(const StopCost& cost, const char* source) {
  if (!signal_lead_s_ || !cost.known()) return;
  auto warning = lead_time_warning(*signal_lead_s_, cost);
  if (!warning.empty()) {
    log_->warn("{} (measured from {} steps and checkpoints)", warning, source);
  } else {
    log_->info(
        "signal lead time {:g}s covers a step ({:.3g}s) plus a checkpoint write ({:.3g}s), "
        "measured from {} steps and checkpoints",
        *signal_lead_s_, cost.step_s, cost.checkpoint_s, source);
  }
}

void TrainingRun::end_epoch() {
  log_->info("epoch {} done", state_.epoch + 1);
  state_.epoch += 1;
  state_.position = 0;
}

// The events the schedule decides after a step, in this order: the epoch's end, an evaluation,
// a checkpoint.
void TrainingRun::after_step() {
  const bool epoch_ended = batches_->epoch_done(state_.epoch, state_.position);
  if (epoch_ended) end_epoch();
  if (events_.eval_due(state_.step, epoch_ended))
    evaluate_dev(cfg_.train.eval_every > 0 ? "interval" : "epoch end");
  if (const char* why = events_.save_due(state_.step)) save_checkpoint(why);
}

void TrainingRun::final_test() {
  if (!data_->test) return;
  std::string source = "final weights";
  if (state_.best_step >= 0 && state_.best_step != state_.step && writer_ &&
      fs::exists(layout_.checkpoints() / "best")) {
    source = "best checkpoint (step " + std::to_string(state_.best_step) + ")";
  }
  // Ranks agree on the source (rank 0 holds the writer).
  comm_.broadcast_string(source, 0);
  EmaScope average(step_->ema());
  std::vector<double> thresholds = thresholds_;
  if (source != "final weights") {
    const std::string best_dir = (layout_.checkpoints() / "best").string();
    auto best =
        model::load_classifier(best_dir, static_cast<int64_t>(model_.label_names.size()), device_);
    if (problem_ == ProblemType::kMultiLabel)
      thresholds = model::read_thresholds(best_dir, model_.label_names);
    c10::NoGradGuard ng;
    auto dst = model_.model->parameters();
    auto src = best.model->parameters();
    for (size_t i = 0; i < dst.size(); ++i) dst[i].copy_(src[i]);
  }
  // Said before it starts: on a large test set this is minutes after the last step (the
  // evaluator's meter then shows its progress).
  log_->info("test: scoring {} examples with the {}", data_->test->size(), source);
  auto r = evaluate(*model_.model, *data_->test, cfg_.data.eval_batch_size, tokenizer_->pad_id(),
                    device_, step_->autocast(), comm_, {problem_, thresholds, false});
  if (problem_ == ProblemType::kMultiLabel)
    log_->info("test ({}): loss {:.4f} micro_f1 {:.4f} macro_f1 {:.4f} subset_accuracy {:.4f}",
               source, r.loss, r.report.micro_f1, r.report.macro_f1, r.report.accuracy);
  else
    log_->info("test ({}): loss {:.4f} accuracy {:.4f} macro_f1 {:.4f}", source, r.loss,
               r.report.accuracy, r.report.macro_f1);
  auto rec = r.report.to_json();
  rec["split"] = "test";
  rec["loss"] = r.loss;
  rec["weights"] = source;
  metrics_.write(RecordType::kTest, state_.step, rec);
}

int TrainingRun::execute() {
  log::LiveLineScope live_line;  // erased however the run ends
  set_up_runtime();
  if (comm_.rank() == 0) log_->info("resolved configuration:\n{}", cfg_.to_toml());
  load_model_and_state();
  install_stop_handlers(cfg_.runtime.stop_signal);
  if (events_.finished(state_)) {
    log_->info(
        "training is already complete at step {} ({}); raise train.max_steps or "
        "train.epochs to continue, or use --resume never to start again",
        state_.step, state_.early_stopped ? "early stopping" : "all steps done");
  }
  while (!events_.finished(state_)) {
    if (events_.stop_due(state_.step)) {
      log_->warn("stop requested (signal {}): writing a checkpoint at step {}",
                 stop_signal_number(), state_.step);
      save_checkpoint("stop");
      metrics_.write(RecordType::kStopped, state_.step);
      return static_cast<int>(ExitCode::kStopped);
    }
    train_step();
    after_step();
    if (comm_.rank() == opts_.hang_rank && state_.step == opts_.hang_after_step) {
      log_->warn("test hook: rank {} stops taking part after step {}", opts_.hang_rank,
                 state_.step);
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    }
  }
  finish();
  return 0;
}

// After the last step: the last evaluation and checkpoint, the test, the done record.
void TrainingRun::finish() {
  if (events_.final_eval_due(state_.step)) evaluate_dev("end");
  save_checkpoint("end");
  final_test();
  nlohmann::json done = {{"train_seconds", state_.train_seconds},
                         {"samples_seen", state_.samples_seen}};
  if (const StepGraphs* graphs = step_->graphs()) {
    done["cuda_graphs"] = graphs->graphs();
    done["graph_replays"] = graphs->replays();
    log_->info("{} of this session's {} steps were replays of {} CUDA graphs{}", graphs->replays(),
               progress_.session().steps, graphs->graphs(),
               graphs->enabled() ? "" : " (graphs turned off: " + graphs->disabled_reason() + ")");
  }
  metrics_.write(RecordType::kDone, state_.step, done);
  log_->info("training done: {} steps, {} of training time", state_.step,
             format_duration(state_.train_seconds));
}

int train(const TrainConfig& config, const RunOptions& options, distributed::Communicator& comm) {
  TrainingRun run(config, options, comm);
  return run.execute();
}

}  // namespace berth::trainer
