#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "checkpoint/checkpoint_scan.h"
#include "common/allocator_policy.h"
#include "common/cpu_features.h"
#include "common/error.h"
#include "common/log.h"
#include "common/short_list.h"
#include "distributed/device_choice.h"
#include "model/attention_backend.h"
#include "model/autocast_guard.h"
#include "model/decision_thresholds.h"
#include "model/fast_dropout.h"
#include "trainer/preflight.h"
#include "trainer/tensorboard_sink.h"
#include "trainer/training_checkpoint.h"
#include "trainer/training_run.h"

namespace berth::trainer {

namespace fs = std::filesystem;

namespace {

at::Tensor class_weights(const TrainConfig& cfg, const data::Corpus& train) {
  const auto& spec = cfg.optim.class_weights;
  const int64_t k = static_cast<int64_t>(train.label_names().size());
  if (spec == "none") return {};
  std::vector<double> w;
  if (spec == "auto" && train.multi_label()) {
    // BCE's pos_weight: negatives / positives of each label (1 for a label never present).
    std::vector<int64_t> count(k, 0);
    for (int64_t i = 0; i < train.size(); ++i)
      for (int32_t c : train.label_set(i)) ++count[c];
    for (int64_t c = 0; c < k; ++c)
      w.push_back(count[c] ? double(train.size() - count[c]) / double(count[c]) : 1.0);
  } else if (spec == "auto") {  // n / (k * count_c), as scikit-learn's "balanced"
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

}  // namespace

void TrainingRun::set_up_runtime() {
  int threads = static_cast<int>(cfg_.runtime.threads);
  if (threads == 0) {
    int cores = static_cast<int>(std::thread::hardware_concurrency());
    threads = std::max(1, cores / std::max(1, comm_.world_size()));
  }
  at::set_num_threads(threads);
  // The launcher chose the device (prepare_communicator); a caller that did not gets the same
  // choice here.
  if (comm_.device_chosen()) {
    device_ = comm_.device();
  } else {
    int gpus = cfg_.runtime.device.is_cuda() ? distributed::visible_gpus() : 0;
    device_ = distributed::choose_device(cfg_.runtime.device,
                                  {comm_.rank(), comm_.local_rank(), comm_.local_size()}, gpus);
  }
  if (device_.is_cuda()) model::set_cudnn_attention(cfg_.runtime.cudnn_attention);
  model::set_fast_dropout(cfg_.runtime.fast_dropout);
  amp_ = model::autocast_dtype(cfg_.train.precision);
  warn_if_slow_bf16("trainer", to_string(cfg_.train.precision), device_.str());
  if (cfg_.train.deterministic) {
    at::globalContext().setDeterministicAlgorithms(true, true);
    // Deterministic mode also fills every fresh tensor with NaN (a debugging aid against reads
    // of uninitialised memory, which no kernel used here does; results do not depend on it):
    // one more write per allocation, off. On CPU those fills were 9 % of the op time of a
    // profiled training step of the default model (every at::empty; BENCHMARKS.md).
    at::globalContext().setDeterministicFillUninitializedMemory(false);
  }
  // Dropout differs per rank (seed + rank) yet is reproducible.
  at::manual_seed(static_cast<uint64_t>(cfg_.train.seed) + comm_.rank());
  if (comm_.rank() == 0) {
    // Before anything is written there: a second run on the same directories stops here.
    preflight_writable(cfg_.train.run_dir, "train.run_dir");
    run_lock_ = checkpoint::RunLock::acquire(cfg_.train.run_dir, "train.run_dir");
    if (!cfg_.checkpoint.dir.empty())
      checkpoint_lock_ = checkpoint::RunLock::acquire(cfg_.checkpoint.dir, "checkpoint.dir");
  } else {
    std::error_code ec;
    fs::create_directories(cfg_.train.run_dir, ec);
  }
  preflight_model(cfg_);
  if (comm_.rank() == 0) {
    metrics_ = MetricsLog(cfg_.train.run_dir + "/metrics.jsonl");
    auto tensorboard = std::make_shared<TensorBoardSink>(cfg_.train.run_dir + "/tensorboard");
    metrics_.add_sink([tensorboard](const nlohmann::json& r) { (*tensorboard)(r); });
  }
  if (!opts_.batch_trace.empty())
    trace_.open(opts_.batch_trace + "." + std::to_string(comm_.rank()));
  log_->info("device {}, {} intra-op threads per rank, {} rank(s) via {}, precision {}",
             device_.str(), threads, comm_.world_size(), comm_.name(),
             to_string(cfg_.train.precision));
  log_->info("heap: {}", allocator_policy().reason);
}

void TrainingRun::load_model_and_state() {
  open_data();
  std::string resume_dir = choose_resume();
  load_weights(resume_dir);
  set_up_optimization();
  restore_progress(resume_dir);
  state_.world_size = comm_.world_size();
  state_.config_hash = cfg_.hash();
  state_.epoch_order_version = EpochPlan::kOrderVersion;
  open_checkpoint_writer();
  set_up_step_graphs();
  announce_start(resume_dir);
}

void TrainingRun::open_data() {
  tokenizer_ = std::make_unique<data::Tokenizer>(data::Tokenizer::from_directory(cfg_.model.path));
  data_ = std::make_unique<TrainingData>(open_training_data(cfg_, *tokenizer_, comm_));
  const auto& train = data_->train;
  lengths_.resize(train.size());
  for (int64_t i = 0; i < train.size(); ++i) lengths_[i] = train.length(i);
  const auto& labels = train.label_names();
  problem_ = train.multi_label() ? ProblemType::kMultiLabel : ProblemType::kSingleLabel;
  label_count_ =
      problem_ == ProblemType::kMultiLabel ? static_cast<int64_t>(train.label_names().size()) : 0;
  if (cfg_.train.tune_thresholds && problem_ != ProblemType::kMultiLabel)
    throw usage_error(
        "config",
        "'train.tune_thresholds' is set but " + train.path() + " is a single-label corpus",
        "thresholds are per label of a multi-label model: drop the option");
  preflight_labels(labels, cfg_.data.train, cfg_);
  log_->info("train: {} examples, {} labels{} [{}]{}{}", train.size(), labels.size(),
             problem_ == ProblemType::kMultiLabel ? " (multi-label)" : "", short_list(labels),
             data_->dev ? fmt::format(", dev: {}", data_->dev->size()) : std::string(),
             data_->test ? fmt::format(", test: {}", data_->test->size()) : std::string());
}

// Rank 0 decides (it verifies manifests), everyone follows.
std::string TrainingRun::choose_resume() {
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
  return resume_dir;
}

// From the checkpoint when resuming (after checking its config), else from model.path; then the
// same weights on every rank.
void TrainingRun::load_weights(const std::string& resume_dir) {
  const auto& labels = data_->train.label_names();
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
    if (problem_ == ProblemType::kMultiLabel)
      thresholds_ = model::read_thresholds(resume_dir, labels);
  } else {
    model_ = model::load_classifier(cfg_.model.path, lo, device_);
  }
  model_.label_names = labels;
  // config.json tells transformers (and Berth's predictor) how to read the logits.
  if (problem_ == ProblemType::kMultiLabel)
    model_.config.problem_type = to_string(ProblemType::kMultiLabel);
  else if (model_.config.problem_type == to_string(ProblemType::kMultiLabel))
    model_.config.problem_type = to_string(ProblemType::kSingleLabel);
  model_.model->train();
  for (auto& p : model_.model->parameters()) {
    comm_.broadcast(p, 0);  // identical starting weights on every rank
    params_.push_back(p);
  }
}

void TrainingRun::set_up_optimization() {
  const auto& train = data_->train;
  std::vector<NamedParameter> named;
  for (const auto& item : model_.model->named_parameters())
    named.push_back({item.key(), item.value()});
  AdamWOptions adamw{cfg_.optim.beta1, cfg_.optim.beta2, cfg_.optim.eps, cfg_.optim.weight_decay};
  adamw.fused = cfg_.optim.fused;
  optim_ = std::make_unique<AdamW>(named, adamw);
  auto on_device = at::TensorOptions().device(device_);
  step_loss_ = at::zeros({2}, on_device.dtype(at::kDouble));
  loss_log_ =
      at::zeros({std::min<int64_t>(cfg_.train.log_every, 1024), 2}, on_device.dtype(at::kDouble));
  grad_norm_ = at::zeros({}, on_device.dtype(at::kFloat));
  normaliser_ = at::ones({}, on_device.dtype(at::kFloat));
  scaler_ = std::make_unique<LossScaler>(cfg_.train.precision == Precision::kFp16, device_);
  distributed::GradientReducerOptions reduce;
  // The word embeddings are half of the gradient bytes but only the rows of the step's token ids
  // are non-zero: those alone are summed. On CPU only: on CUDA, sizing the union of rows needs a
  // host sync inside backward, and the path has not run on a GPU yet; NCCL sums the dense table.
  const auto& words = model_.model->word_embedding_weight();
  for (size_t i = 0; i < params_.size() && device_.is_cpu(); ++i)
    if (params_[i].is_same(words)) word_embeddings_ = i, reduce.row_sparse.push_back(i);
  reducer_ = std::make_unique<distributed::GradientReducer>(params_, comm_, reduce);
  class_weights_ = class_weights(cfg_, train);
  // Multi-label weights are BCE's pos_weight: the loss is still a mean over the examples.
  if (class_weights_.defined() && problem_ == ProblemType::kSingleLabel) {
    auto w = class_weights_.contiguous();
    class_weight_values_.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  }
  if (class_weights_.defined()) class_weights_ = class_weights_.to(device_);

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
  if (cfg_.train.max_steps > 0) {
    total_steps_ = cfg_.train.max_steps;
  } else {
    // Steps done plus what finishes train.epochs at this world size: the same as epochs x steps
    // per epoch unless the run resumes with another number of ranks (a step then holds another
    // number of examples, and the total must still end at the last epoch's end).
    const int64_t in_epoch = optimizer_steps_per_epoch(
        probe.micro_steps(comm_.world_size(), state_.position), cfg_.optim.grad_accum);
    const int64_t later = std::max<int64_t>(0, cfg_.train.epochs - state_.epoch - 1);
    total_steps_ = state_.epoch >= cfg_.train.epochs
                       ? state_.step
                       : state_.step + in_epoch + later * steps_per_epoch_;
  }
  warmup_steps_ = resolve_warmup(cfg_.optim.warmup_steps, cfg_.optim.warmup_ratio, total_steps_);
  schedule_ =
      std::make_unique<LrSchedule>(cfg_.optim.schedule, cfg_.optim.lr, warmup_steps_, total_steps_);
  log_->info("{} optimizer steps ({} per epoch, warm-up {}), global batch {} x {} accumulation",
             total_steps_, steps_per_epoch_, warmup_steps_,
             cfg_.data.batch_size * comm_.world_size(), cfg_.optim.grad_accum);
}

// CUDA graphs of whole steps where they can work: one GPU rank (the gradient all-reduce is not
// captured), the fused optimizer (the others read the step count on the host) and no gradient
// accumulation (a step of several micro-batches is not one fixed shape).
void TrainingRun::set_up_step_graphs() {
  if (!device_.is_cuda() || !cfg_.runtime.cuda_graphs) return;
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
    log_->info("CUDA graphs off: {}", off);
    return;
  }
  // Lengths rounded up to the multiple, unless that passes the model's position limit.
  int64_t multiple = cfg_.runtime.graph_length_multiple;
  auto rounded = [&](int64_t m) { return (cfg_.data.max_length + m - 1) / m * m; };
  while (multiple > 1 && rounded(multiple) > model_.config.max_position_embeddings) multiple /= 2;
  pad_multiple_ = static_cast<int>(multiple);
  // .grad tensors that live for the run: a graph writes into the ones it was captured with.
  {
    c10::NoGradGuard no_grad;
    for (auto& p : params_)
      if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
  }
  persistent_grads_ = true;
  graphs_ = std::make_unique<StepGraphs>(device_, cfg_.runtime.graph_warmup_steps);
  log_->info(
      "CUDA graphs on: batch lengths rounded up to a multiple of {}, each shape captured after "
      "{} eager step(s)",
      pad_multiple_, cfg_.runtime.graph_warmup_steps);
}

// Optimizer moments, loss scale, this rank's generators and the counters of a resumed run.
void TrainingRun::restore_progress(const std::string& resume_dir) {
  if (resume_dir.empty()) return;
  load_optimizer_state(resume_dir, *optim_, state_.step);
  scaler_->load_state(state_.scaler);
  restore_rank_rng(resume_dir, comm_.rank(), device_);
  if (state_.world_size != comm_.world_size()) {
    log_->warn(
        "resuming a run written by {} rank(s) with {}: the data position ({} samples "
        "into epoch {}) is kept, the global batch is now {}{}",
        state_.world_size, comm_.world_size(), state_.position, state_.epoch + 1,
        cfg_.data.batch_size * comm_.world_size(),
        cfg_.train.max_steps > 0 ? std::string()
                                 : fmt::format(", and train.epochs = {} now ends at step {}",
                                               cfg_.train.epochs, total_steps_));
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

// Rank 0 alone writes checkpoints.
void TrainingRun::open_checkpoint_writer() {
  if (comm_.rank() != 0) return;
  writer_ = std::make_unique<checkpoint::CheckpointWriter>(cfg_.checkpoint_dir());
  preflight_writable(cfg_.checkpoint_dir(),
                     cfg_.checkpoint.dir.empty() ? "train.run_dir" : "checkpoint.dir");
  // Weights and two AdamW moments, fp32.
  int64_t bytes = 0;
  for (const auto& p : params_) bytes += 3 * p.numel() * static_cast<int64_t>(sizeof(float));
  preflight_disk_space(cfg_.checkpoint_dir(), bytes);
  if (opts_.crash_at.empty()) return;
  auto colon = opts_.crash_at.find(':');
  int64_t crash_step = std::stoll(opts_.crash_at.substr(0, colon));
  std::string phase = opts_.crash_at.substr(colon + 1);
  writer_->set_phase_hook([this, crash_step, phase](const std::string& p) {
    if (state_.step == crash_step && p == phase) std::_Exit(99);
  });
}

// The start (or resume) record, with what the scheduler told the job.
void TrainingRun::announce_start(const std::string& resume_dir) {
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

}  // namespace berth::trainer
