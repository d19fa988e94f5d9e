#include "trainer/trainer.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <thread>

#include "checkpoint/checkpoint_scan.h"
#include "checkpoint/checkpoint_writer.h"
#include "checkpoint/retention.h"
#include "common/error.h"
#include "common/log.h"
#include "data/tokenizer.h"
#include "model/attention_backend.h"
#include "model/autocast_guard.h"
#include "model/pretrained.h"
#include "trainer/adamw.h"
#include "trainer/batch_tensors.h"
#include "trainer/corpus_source.h"
#include "trainer/epoch_plan.h"
#include "trainer/evaluator.h"
#include "trainer/gradient_reducer.h"
#include "trainer/lr_schedule.h"
#include "trainer/metrics_log.h"
#include "trainer/scheduler_env.h"
#include "trainer/stop_signal.h"
#include "trainer/training_checkpoint.h"

namespace berth::trainer {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  int64_t t = static_cast<int64_t>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", (long long)(t / 3600),
                  (long long)(t % 3600 / 60));
  else
    std::snprintf(buf, sizeof buf, "%lldm%02llds", (long long)(t / 60), (long long)(t % 60));
  return buf;
}

std::optional<at::ScalarType> autocast_dtype(const std::string& precision) {
  if (precision == "bf16") return at::kBFloat16;
  if (precision == "fp16") return at::kHalf;
  return std::nullopt;
}

at::Tensor class_weights(const TrainConfig& cfg, const data::Corpus& train) {
  const auto& spec = cfg.optim.class_weights;
  const int64_t k = static_cast<int64_t>(train.label_names().size());
  if (spec == "none") return {};
  std::vector<double> w;
  if (spec == "auto") {  // n / (k * count_c), as scikit-learn's "balanced"
    std::vector<int64_t> count(k, 0);
    for (int64_t i = 0; i < train.size(); ++i) ++count[train.label(i)];
    for (int64_t c = 0; c < k; ++c)
      w.push_back(count[c] ? double(train.size()) / double(k * count[c]) : 0.0);
  } else {
    std::stringstream ss(spec);
    std::string item;
    while (std::getline(ss, item, ',')) w.push_back(std::stod(item));
    if (static_cast<int64_t>(w.size()) != k) {
      throw usage_error("config",
                        "'optim.class_weights' has " + std::to_string(w.size()) +
                            " weights but the training corpus has " + std::to_string(k) + " labels",
                        "give one weight per label, in label order");
    }
  }
  return at::tensor(w, at::kFloat);
}

// The training run, one object so the loop reads as the steps it takes.
class Run {
 public:
  Run(const TrainConfig& cfg, const RunOptions& opts, Communicator& comm)
      : cfg_(cfg), opts_(opts), comm_(comm), log_(log::get("trainer")) {}

  int execute();

 private:
  void set_up_runtime();
  void load_model_and_state();
  void train_step();
  void after_step();
  void end_epoch();
  void evaluate_dev(const char* when);
  void save_checkpoint(const char* why);
  void final_test();
  void log_progress(double loss, double grad_norm, double lr, bool stepped);
  void check_signal_lead(const StopCost& cost, const char* source);

  const TrainConfig& cfg_;
  RunOptions opts_;
  Communicator& comm_;
  std::shared_ptr<spdlog::logger> log_;
  at::Device device_{at::kCPU};
  std::optional<at::ScalarType> amp_;

  std::unique_ptr<data::Tokenizer> tokenizer_;
  std::unique_ptr<TrainingData> data_;
  std::vector<int32_t> lengths_;
  model::LoadedClassifier model_;
  std::vector<at::Tensor> params_;
  std::unique_ptr<AdamW> optim_;
  std::unique_ptr<LrSchedule> schedule_;
  std::unique_ptr<LossScaler> scaler_;
  std::unique_ptr<GradientReducer> reducer_;
  std::optional<size_t> word_embeddings_;    // index into params_
  at::Tensor class_weights_;                 // (labels) on the device, for the loss
  std::vector<double> class_weight_values_;  // the same, on the host, for the normaliser
  std::unique_ptr<checkpoint::CheckpointWriter> writer_;
  MetricsLog metrics_;
  std::ofstream trace_;

  TrainState state_;
  std::optional<EpochPlan> plan_;
  int64_t plan_epoch_ = -1;
  int64_t steps_per_epoch_ = 0;
  int64_t total_steps_ = 0;
  int64_t last_saved_step_ = -1;
  Clock::time_point last_save_time_ = Clock::now();
  // Progress accounting between two log lines.
  double window_loss_ = 0, window_seconds_ = 0;
  double window_comm_wait_ = 0;  // seconds backward waited for gradient all-reduces
  // Where this rank's step time went in the window (debug log).
  double window_forward_ = 0, window_backward_ = 0, window_finish_ = 0, window_optimizer_ = 0;
  int64_t window_steps_ = 0, window_samples_ = 0, window_tokens_ = 0, window_padded_ = 0;
  double session_seconds_ = 0;
  int64_t session_steps_ = 0;
  double smoothed_loss_ = NAN;
  // What a stop costs in this process (longest step after the first, longest checkpoint write),
  // checked against the scheduler's signal lead time (BERTH_SIGNAL_LEAD_S) once per process.
  std::optional<double> signal_lead_s_;
  StopCost stop_cost_;
  double first_step_s_ = 0;
  bool lead_checked_ = false;
};

void Run::set_up_runtime() {
  int threads = static_cast<int>(cfg_.runtime.threads);
  if (threads == 0) {
    int cores = static_cast<int>(std::thread::hardware_concurrency());
    threads = std::max(1, cores / std::max(1, comm_.world_size()));
  }
  at::set_num_threads(threads);
  if (cfg_.runtime.device != "cpu") {
    // One rank per GPU by local rank, or the only GPU a rank sees (per-rank CUDA_VISIBLE_DEVICES).
    int index = torch::cuda::device_count() == 1 ? 0 : comm_.local_rank();
    if (cfg_.runtime.device.rfind("cuda:", 0) == 0)
      index = std::stoi(cfg_.runtime.device.substr(5));
    if (!at::hasCUDA()) {
      throw usage_error("runtime",
                        "runtime.device is '" + cfg_.runtime.device +
                            "' but no CUDA device is available on this node",
                        "use --set runtime.device=cpu, or run on a GPU node");
    }
    device_ = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
    model::set_cudnn_attention(cfg_.runtime.cudnn_attention);
  }
  amp_ = autocast_dtype(cfg_.train.precision);
  if (cfg_.train.deterministic) at::globalContext().setDeterministicAlgorithms(true, true);
  // Dropout differs per rank (seed + rank) yet is reproducible.
  at::manual_seed(static_cast<uint64_t>(cfg_.train.seed) + comm_.rank());
  fs::create_directories(cfg_.train.run_dir);
  if (comm_.rank() == 0) metrics_ = MetricsLog(cfg_.train.run_dir + "/metrics.jsonl");
  if (!opts_.batch_trace.empty())
    trace_.open(opts_.batch_trace + "." + std::to_string(comm_.rank()));
  log_->info("device {}, {} intra-op threads per rank, {} rank(s) via {}, precision {}",
             device_.str(), threads, comm_.world_size(), comm_.name(), cfg_.train.precision);
}

void Run::load_model_and_state() {
  tokenizer_ = std::make_unique<data::Tokenizer>(data::Tokenizer::from_directory(cfg_.model.path));
  data_ = std::make_unique<TrainingData>(open_training_data(cfg_, *tokenizer_, comm_));
  const auto& train = data_->train;
  lengths_.resize(train.size());
  for (int64_t i = 0; i < train.size(); ++i) lengths_[i] = train.length(i);
  const auto& labels = train.label_names();
  log_->info("train: {} examples, {} labels [{}]{}{}", train.size(), labels.size(),
             fmt::join(labels, ", "),
             data_->dev ? fmt::format(", dev: {}", data_->dev->size()) : std::string(),
             data_->test ? fmt::format(", test: {}", data_->test->size()) : std::string());

  // What to resume from: rank 0 decides (it verifies manifests), everyone follows.
  std::string resume_dir;
  if (comm_.rank() == 0 && opts_.resume != "never") {
    auto r = checkpoint::resolve_resume(cfg_.checkpoint_dir(), opts_.resume);
    if (r) resume_dir = r->string();
  }
  comm_.broadcast_string(resume_dir, 0);
  // Every rank reads the checkpoint (its own generator state among others), so it must see it.
  if (!resume_dir.empty() && !fs::exists(fs::path(resume_dir) / "manifest.json")) {
    throw model_error(
        "checkpoint",
        "rank " + std::to_string(comm_.rank()) + " cannot see " + resume_dir +
            ", the checkpoint rank 0 resumes from",
        "put train.run_dir (or checkpoint.dir) on a file system every node shares, and run every "
        "rank from the same directory when the path is relative");
  }

  model::LoadOptions lo;
  lo.num_labels = static_cast<int64_t>(labels.size());
  lo.init_seed = static_cast<uint64_t>(cfg_.train.seed);
  if (!resume_dir.empty()) {
    auto saved = read_saved_config(resume_dir);
    auto diff = compare(saved, cfg_);
    if (!diff.incompatible.empty()) {
      std::string lines;
      for (const auto& l : diff.incompatible) lines += "\n    " + l;
      throw usage_error("trainer",
                        "cannot resume from " + resume_dir +
                            ": the config differs in settings a resumed run must keep:" + lines,
                        "restore those values, or start a new run with --resume never (or "
                        "another checkpoint.dir); to fine-tune further from these weights set "
                        "model.path to the checkpoint directory");
    }
    for (const auto& l : diff.harmless) log_->info("config change accepted on resume: {}", l);
    state_ = read_training_state(resume_dir);
    model_ = model::load_classifier(resume_dir, lo, device_);
    if (model_.label_names != labels) {
      throw data_error("trainer", "checkpoint " + resume_dir + " was trained with other labels",
                       "resume with the training data it was trained on");
    }
  } else {
    model_ = model::load_classifier(cfg_.model.path, lo, device_);
  }
  model_.label_names = labels;
  model_.model->train();
  for (auto& p : model_.model->parameters()) {
    comm_.broadcast(p, 0);  // identical starting weights on every rank
    params_.push_back(p);
  }

  std::vector<NamedParameter> named;
  for (const auto& item : model_.model->named_parameters())
    named.push_back({item.key(), item.value()});
  optim_ = std::make_unique<AdamW>(named, AdamWOptions{cfg_.optim.beta1, cfg_.optim.beta2,
                                                       cfg_.optim.eps, cfg_.optim.weight_decay});
  scaler_ = std::make_unique<LossScaler>(cfg_.train.precision == "fp16", device_);
  GradientReducerOptions reduce;
  // The word embeddings are half of the gradient bytes but only the rows of the step's token ids
  // are non-zero: those alone are summed. On CPU only: on CUDA, sizing the union of rows needs a
  // host sync inside backward, and the path has not run on a GPU yet; NCCL sums the dense table.
  const auto& words = model_.model->bert->embeddings->word_embeddings->weight;
  for (size_t i = 0; i < params_.size() && device_.is_cpu(); ++i)
    if (params_[i].is_same(words)) word_embeddings_ = i, reduce.row_sparse.push_back(i);
  reducer_ = std::make_unique<GradientReducer>(params_, comm_, reduce);
  class_weights_ = class_weights(cfg_, train);
  if (class_weights_.defined()) {
    auto w = class_weights_.contiguous();
    class_weight_values_.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    class_weights_ = class_weights_.to(device_);
  }

  EpochPlan probe(lengths_, 0, {cfg_.data.batch_size, 0, false, 1});
  steps_per_epoch_ =
      optimizer_steps_per_epoch(probe.micro_steps(comm_.world_size()), cfg_.optim.grad_accum);
  if (probe.micro_steps(comm_.world_size()) == 0) {
    // Otherwise every "step" would see no example and only apply weight decay.
    throw data_error("trainer",
                     "training corpus " + train.path() + " has " + std::to_string(train.size()) +
                         " example(s), fewer than the " + std::to_string(comm_.world_size()) +
                         " ranks: no training step can give every rank an example",
                     "run with at most " + std::to_string(train.size()) +
                         " rank(s), or give data.train more examples");
  }
  total_steps_ =
      cfg_.train.max_steps > 0 ? cfg_.train.max_steps : cfg_.train.epochs * steps_per_epoch_;
  int64_t warmup = resolve_warmup(cfg_.optim.warmup_steps, cfg_.optim.warmup_ratio, total_steps_);
  schedule_ =
      std::make_unique<LrSchedule>(cfg_.optim.schedule, cfg_.optim.lr, warmup, total_steps_);

  if (!resume_dir.empty()) {
    load_optimizer_state(resume_dir, *optim_, state_.step);
    scaler_->load_state(state_.scaler);
    restore_rank_rng(resume_dir, comm_.rank(), device_);
    if (state_.world_size != comm_.world_size()) {
      log_->warn(
          "resuming a run written by {} rank(s) with {}: the data position ({} samples "
          "into epoch {}) is kept, the global batch is now {}",
          state_.world_size, comm_.world_size(), state_.position, state_.epoch + 1,
          cfg_.data.batch_size * comm_.world_size());
    }
    // Versions 1 and 2 differ only in the order with length bucketing.
    if (cfg_.data.length_bucketing && state_.epoch_order_version != EpochPlan::kOrderVersion &&
        state_.position > 0) {
      log_->warn(
          "{} was written by a build that ordered epochs differently (order version {}, "
          "this build {}): the run resumes {} samples into epoch {} of the new order, so "
          "some examples of this epoch are seen twice and others not at all; later epochs "
          "are unaffected (to avoid it, resume from a checkpoint at an epoch boundary)",
          resume_dir, state_.epoch_order_version, EpochPlan::kOrderVersion, state_.position,
          state_.epoch + 1);
    }
    state_.restarts += 1;
    last_saved_step_ = state_.step;
    log_->info("resumed from {} at step {} (epoch {}, {} samples into it), restart #{}", resume_dir,
               state_.step, state_.epoch + 1, state_.position, state_.restarts);
  }
  state_.world_size = comm_.world_size();
  state_.config_hash = cfg_.hash();
  state_.epoch_order_version = EpochPlan::kOrderVersion;
  if (comm_.rank() == 0) {
    writer_ = std::make_unique<checkpoint::CheckpointWriter>(cfg_.checkpoint_dir());
    if (!opts_.crash_at.empty()) {
      auto colon = opts_.crash_at.find(':');
      int64_t crash_step = std::stoll(opts_.crash_at.substr(0, colon));
      std::string phase = opts_.crash_at.substr(colon + 1);
      writer_->set_phase_hook([this, crash_step, phase](const std::string& p) {
        if (state_.step == crash_step && p == phase) std::_Exit(99);
      });
    }
  }
  log_->info("{} optimizer steps ({} per epoch, warm-up {}), global batch {} x {} accumulation",
             total_steps_, steps_per_epoch_, warmup, cfg_.data.batch_size * comm_.world_size(),
             cfg_.optim.grad_accum);
  nlohmann::json start = {{"type", resume_dir.empty() ? "start" : "resume"},
                          {"step", state_.step},
                          {"restart", state_.restarts},
                          {"world_size", comm_.world_size()},
                          {"total_steps", total_steps_},
                          {"resumed_from", resume_dir},
                          {"config_hash", state_.config_hash}};
  auto sched = scheduler_info_from_env();
  if (!sched.job_id.empty()) {
    log_->info("Slurm job {}, SLURM_RESTART_COUNT {} (requeues of this job so far)", sched.job_id,
               sched.restart_count);
    start["slurm_job_id"] = sched.job_id;
    start["slurm_restart_count"] = sched.restart_count;
  }
  signal_lead_s_ = signal_lead_from_env();
  if (signal_lead_s_) {
    start["signal_lead_s"] = *signal_lead_s_;
    log_->info("the stop signal is expected {:g}s before the time limit (BERTH_SIGNAL_LEAD_S)",
               *signal_lead_s_);
    // Known before the first step when an earlier run of this run dir measured it.
    if (comm_.rank() == 0)
      check_signal_lead(previous_stop_cost(cfg_.train.run_dir + "/metrics.jsonl"),
                        "the previous run's");
  }
  metrics_.write(start);
}

void Run::train_step() {
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

void Run::log_progress(double loss, double grad_norm, double lr, bool stepped) {
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

void Run::evaluate_dev(const char* when) {
  if (!data_->dev) return;
  auto r = evaluate(*model_.model, *data_->dev, cfg_.data.eval_batch_size, tokenizer_->pad_id(),
                    device_, amp_, comm_);
  double m = r.metric(cfg_.train.metric);
  bool better = is_better(cfg_.train.metric, m, state_.best_metric);
  // The epoch of the last step (1-based): right after an epoch ends, the one that just ended.
  const int64_t epoch = state_.position == 0 && state_.epoch > 0 ? state_.epoch : state_.epoch + 1;
  log_->info("eval ({}) epoch {} step {}: loss {:.4f} accuracy {:.4f} macro_f1 {:.4f}{}", when,
             epoch, state_.step, r.loss, r.report.accuracy, r.report.macro_f1,
             better ? " (best so far)" : "");
  metrics_.write({{"type", "eval"},
                  {"split", "dev"},
                  {"step", state_.step},
                  {"epoch", epoch},
                  {"loss", r.loss},
                  {"accuracy", r.report.accuracy},
                  {"macro_f1", r.report.macro_f1},
                  {"examples", r.report.total}});
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
      log_->info("early stopping: no improvement of {} in {} evaluations", cfg_.train.metric,
                 patience);
    }
  }
}

void Run::save_checkpoint(const char* why) {
  if (last_saved_step_ == state_.step) return;
  auto t0 = Clock::now();
  state_.scaler = scaler_->state();
  if (!state_.checkpoint_metrics.count(state_.step))
    state_.checkpoint_metrics[state_.step] = std::nullopt;
  CheckpointContents c{model_.model.get(),
                       &model_.config,
                       &model_.label_names,
                       cfg_.model.path,
                       optim_.get(),
                       &state_,
                       &cfg_};
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
  last_saved_step_ = state_.step;
  last_save_time_ = Clock::now();
  if (writer_) {
    checkpoint::apply_retention(
        cfg_.checkpoint_dir(),
        {static_cast<size_t>(cfg_.checkpoint.keep_last),
         static_cast<size_t>(cfg_.checkpoint.keep_best), cfg_.train.metric != "loss"},
        state_.checkpoint_metrics);
    log_->info("checkpoint ({}) step {} written to {} in {:.1f}s", why, state_.step,
               written.string(), seconds_since(t0));
  }
  double seconds = seconds_since(t0);
  stop_cost_.checkpoint_s = std::max(stop_cost_.checkpoint_s, seconds);
  StopCost cost = stop_cost_;
  if (session_steps_ == 1) cost.step_s = first_step_s_;
  nlohmann::json rec = {
      {"type", "checkpoint"}, {"step", state_.step}, {"reason", why}, {"seconds", seconds}};
  if (cost.step_s > 0) rec["step_s"] = cost.step_s;  // read back by the next run's lead check
  metrics_.write(rec);
  if (comm_.rank() == 0 && !lead_checked_ && cost.known()) {
    lead_checked_ = true;  // once per process: when the first checkpoint's cost is known
    check_signal_lead(cost, "this run's");
  }
}

void Run::check_signal_lead(const StopCost& cost, const char* source) {
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

void Run::end_epoch() {
  log_->info("epoch {} done", state_.epoch + 1);
  state_.epoch += 1;
  state_.position = 0;
  if (cfg_.train.eval_every == 0) evaluate_dev("epoch end");
}

void Run::after_step() {
  if (state_.position >= plan_->size() ||
      plan_->micro_batch(state_.position, comm_.world_size()).total == 0) {
    end_epoch();
  }
  if (cfg_.train.eval_every > 0 && state_.step % cfg_.train.eval_every == 0)
    evaluate_dev("interval");
  bool due = cfg_.checkpoint.every_steps > 0 && state_.step % cfg_.checkpoint.every_steps == 0;
  // Time-based saves: rank 0's clock decides for everyone.
  bool timed = comm_.rank() == 0 && cfg_.checkpoint.every_minutes > 0 &&
               seconds_since(last_save_time_) >= cfg_.checkpoint.every_minutes * 60;
  if (comm_.world_size() > 1) timed = comm_.any(timed);
  if (due || timed) save_checkpoint(due ? "interval" : "timer");
}

void Run::final_test() {
  if (!data_->test) return;
  std::string source = "final weights";
  if (state_.best_step >= 0 && state_.best_step != state_.step && writer_ &&
      fs::exists(fs::path(cfg_.checkpoint_dir()) / "best")) {
    source = "best checkpoint (step " + std::to_string(state_.best_step) + ")";
  }
  // Ranks agree on the source (rank 0 holds the writer).
  comm_.broadcast_string(source, 0);
  if (source != "final weights") {
    auto best = model::load_classifier((fs::path(cfg_.checkpoint_dir()) / "best").string(),
                                       static_cast<int64_t>(model_.label_names.size()), device_);
    c10::NoGradGuard ng;
    auto dst = model_.model->parameters();
    auto src = best.model->parameters();
    for (size_t i = 0; i < dst.size(); ++i) dst[i].copy_(src[i]);
  }
  auto r = evaluate(*model_.model, *data_->test, cfg_.data.eval_batch_size, tokenizer_->pad_id(),
                    device_, amp_, comm_);
  log_->info("test ({}): loss {:.4f} accuracy {:.4f} macro_f1 {:.4f}", source, r.loss,
             r.report.accuracy, r.report.macro_f1);
  auto rec = r.report.to_json();
  rec["type"] = "test";
  rec["split"] = "test";
  rec["loss"] = r.loss;
  rec["step"] = state_.step;
  rec["weights"] = source;
  metrics_.write(rec);
}

int Run::execute() {
  set_up_runtime();
  if (comm_.rank() == 0) log_->info("resolved configuration:\n{}", cfg_.to_toml());
  load_model_and_state();
  install_stop_handlers(cfg_.runtime.stop_signal);
  if (state_.step >= total_steps_ || state_.early_stopped) {
    log_->info(
        "training is already complete at step {} ({}); raise train.max_steps or "
        "train.epochs to continue, or use --resume never to start again",
        state_.step, state_.early_stopped ? "early stopping" : "all steps done");
  }
  while (state_.step < total_steps_ && !state_.early_stopped) {
    bool injected = opts_.stop_after_step > 0 && state_.step == opts_.stop_after_step;
    if (comm_.any(stop_requested() || injected)) {
      log_->warn("stop requested (signal {}): writing a checkpoint at step {}",
                 stop_signal_number(), state_.step);
      save_checkpoint("stop");
      metrics_.write({{"type", "stopped"}, {"step", state_.step}});
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
  if (cfg_.train.eval_every > 0 && state_.step % cfg_.train.eval_every != 0) evaluate_dev("end");
  save_checkpoint("end");
  final_test();
  metrics_.write({{"type", "done"},
                  {"step", state_.step},
                  {"train_seconds", state_.train_seconds},
                  {"samples_seen", state_.samples_seen}});
  log_->info("training done: {} steps, {} of training time", state_.step,
             format_duration(state_.train_seconds));
  return 0;
}

}  // namespace

int train(const TrainConfig& config, const RunOptions& options, Communicator& comm) {
  Run run(config, options, comm);
  return run.execute();
}

}  // namespace berth::trainer
