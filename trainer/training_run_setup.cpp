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
#include "model/attention_backend.h"
#include "model/autocast_guard.h"
#include "model/decision_thresholds.h"
#include "model/fast_dropout.h"
#include "trainer/preflight.h"
#include "trainer/tensorboard_sink.h"
#include "trainer/training_checkpoint.h"
#include "trainer/training_loss.h"
#include "trainer/training_run.h"

namespace berth::trainer {

namespace fs = std::filesystem;

namespace {

at::Tensor class_weights(const TrainConfig& cfg, const data::Corpus& train) {
  using Kind = ClassWeights::Kind;
  const auto& spec = cfg.optim.class_weights;
  const int64_t k = static_cast<int64_t>(train.label_names().size());
  if (spec.kind == Kind::kNone) return {};
  std::vector<double> w;
  if (spec.kind == Kind::kAuto && train.multi_label()) {
    // BCE's pos_weight: negatives / positives of each label (1 for a label never present).
    std::vector<int64_t> count(k, 0);
    for (int64_t i = 0; i < train.size(); ++i)
      for (int32_t c : train.label_set(i)) ++count[c];
    for (int64_t c = 0; c < k; ++c)
      w.push_back(count[c] ? double(train.size() - count[c]) / double(count[c]) : 1.0);
  } else if (spec.kind == Kind::kAuto) {  // n / (k * count_c), as scikit-learn's "balanced"
    std::vector<int64_t> count(k, 0);
    for (int64_t i = 0; i < train.size(); ++i) ++count[train.label(i)];
    for (int64_t c = 0; c < k; ++c)
      w.push_back(count[c] ? double(train.size()) / double(k * count[c]) : 0.0);
  } else {
    w = spec.given;
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
  // The communicator factory chose the device (distributed::place_on_device), once.
  if (!comm_.device_chosen()) {
    throw Error("trainer", "train() was given a communicator that no device was chosen for",
                "build it with distributed::start_communicator and place_on_device (as `berth "
                "train` does)");
  }
  device_ = comm_.device();
  if (device_.is_cuda()) model::set_cudnn_attention(cfg_.runtime.cudnn_attention);
  model::set_fast_dropout(cfg_.runtime.fast_dropout);
  warn_if_slow_bf16("trainer", to_string(cfg_.train.precision), device_.str(), Bf16Use::kTraining);
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
    metrics_ = run_directory::MetricsWriter(layout_.metrics());
    auto tensorboard = std::make_shared<TensorBoardSink>(layout_.tensorboard().string());
    metrics_.add_sink([tensorboard](const run_directory::Record& r) { (*tensorboard)(r); });
  }
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
  batches_->set_pad_multiple(step_->enable_graphs(model_.config.max_position_embeddings, *log_));
  announce_start(resume_dir);
}

void TrainingRun::open_data() {
  tokenizer_ = std::make_unique<data::Tokenizer>(data::Tokenizer::from_directory(cfg_.model.path));
  data_ = std::make_unique<TrainingData>(open_training_data(cfg_, *tokenizer_, comm_));
  const auto& train = data_->train;
  const auto& labels = train.label_names();
  problem_ = train.multi_label() ? ProblemType::kMultiLabel : ProblemType::kSingleLabel;
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
  if (comm_.rank() == 0) {
    auto r = checkpoint::resolve_resume(layout_.checkpoints(), opts_.resume);
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
    model_.config.problem_type = ProblemType::kMultiLabel;
  else if (model_.config.problem_type == ProblemType::kMultiLabel)
    model_.config.problem_type = ProblemType::kSingleLabel;
  model_.model->train();
  for (auto& p : model_.model->parameters()) comm_.broadcast(p, 0);  // the same on every rank
}

void TrainingRun::set_up_optimization() {
  const auto& train = data_->train;
  at::Tensor weights = class_weights(cfg_, train);
  // Multi-label weights are BCE's pos_weight: the loss is still a mean over the examples.
  std::vector<double> normaliser_weights;
  if (weights.defined() && problem_ == ProblemType::kSingleLabel) {
    auto w = weights.contiguous();
    normaliser_weights.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  }
  step_ = std::make_unique<StepRunner>(
      cfg_, *model_.model, problem_, weights, comm_, device_,
      model::autocast_dtype(cfg_.train.precision),
      load_teacher(cfg_, train.label_names(), problem_, *tokenizer_, device_));
  if (!cfg_.distill.teacher.empty())
    log_->info("distilling from {} (temperature {:g}, alpha {:g})", cfg_.distill.teacher,
               cfg_.distill.temperature, cfg_.distill.alpha);
  losses_ = StepLosses(std::min<int64_t>(cfg_.train.log_every, 1024), device_);
  const int64_t label_count =
      problem_ == ProblemType::kMultiLabel ? static_cast<int64_t>(train.label_names().size()) : 0;
  batches_ = std::make_unique<StepBatcher>(cfg_, train, tokenizer_->pad_id(), label_count,
                                           std::move(normaliser_weights), comm_.rank(),
                                           comm_.world_size());
  if (!opts_.batch_trace.empty())
    batches_->trace_to(opts_.batch_trace + "." + std::to_string(comm_.rank()));

  const int64_t steps_per_epoch =
      optimizer_steps_per_epoch(batches_->micro_steps(), cfg_.optim.grad_accum);
  if (batches_->micro_steps() == 0) {
    // Otherwise every "step" would see no example and only apply weight decay.
    throw data_error("trainer",
                     "training corpus " + train.path() + " has " + std::to_string(train.size()) +
                         " example(s), fewer than the " + std::to_string(comm_.world_size()) +
                         " ranks: no training step can give every rank an example",
                     "run with at most " + std::to_string(train.size()) +
                         " rank(s), or give data.train more examples");
  }
  int64_t total_steps = 0;
  if (cfg_.train.max_steps > 0) {
    total_steps = cfg_.train.max_steps;
  } else {
    // Steps done plus what finishes train.epochs at this world size: the same as epochs x steps
    // per epoch unless the run resumes with another number of ranks (a step then holds another
    // number of examples, and the total must still end at the last epoch's end).
    const int64_t in_epoch =
        optimizer_steps_per_epoch(batches_->micro_steps(state_.position), cfg_.optim.grad_accum);
    const int64_t later = std::max<int64_t>(0, cfg_.train.epochs - state_.epoch - 1);
    total_steps = state_.epoch >= cfg_.train.epochs
                      ? state_.step
                      : state_.step + in_epoch + later * steps_per_epoch;
  }
  events_.set_total_steps(total_steps);
  progress_.set_total_steps(total_steps);
  const int64_t warmup =
      resolve_warmup(cfg_.optim.warmup_steps, cfg_.optim.warmup_ratio, total_steps);
  schedule_ = std::make_unique<LrSchedule>(cfg_.optim.schedule, cfg_.optim.lr, warmup, total_steps);
  log_->info("{} optimizer steps ({} per epoch, warm-up {}), global batch {} x {} accumulation",
             total_steps, steps_per_epoch, warmup, cfg_.data.batch_size * comm_.world_size(),
             cfg_.optim.grad_accum);
}

// Optimizer moments, loss scale, this rank's generators and the counters of a resumed run.
void TrainingRun::restore_progress(const std::string& resume_dir) {
  if (resume_dir.empty()) return;
  load_optimizer_state(resume_dir, step_->optimizer(), state_.step);
  if (WeightEma* ema = step_->ema()) load_weight_average(resume_dir, *ema);
  step_->scaler().load_state(state_.scaler);
  restore_rank_rng(resume_dir, comm_.rank(), device_);
  if (state_.world_size != comm_.world_size()) {
    log_->warn(
        "resuming a run written by {} rank(s) with {}: the data position ({} samples "
        "into epoch {}) is kept, the global batch is now {}{}",
        state_.world_size, comm_.world_size(), state_.position, state_.epoch + 1,
        cfg_.data.batch_size * comm_.world_size(),
        cfg_.train.max_steps > 0 ? std::string()
                                 : fmt::format(", and train.epochs = {} now ends at step {}",
                                               cfg_.train.epochs, events_.total_steps()));
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
  events_.resumed_at(state_.step);
  log_->info("resumed from {} at step {} (epoch {}, {} samples into it), restart #{}", resume_dir,
             state_.step, state_.epoch + 1, state_.position, state_.restarts);
}

// Rank 0 alone writes checkpoints.
void TrainingRun::open_checkpoint_writer() {
  if (comm_.rank() != 0) return;
  writer_ = std::make_unique<checkpoint::CheckpointWriter>(layout_.checkpoints());
  preflight_writable(layout_.checkpoints(),
                     cfg_.checkpoint.dir.empty() ? "train.run_dir" : "checkpoint.dir");
  // Weights and two AdamW moments, fp32, and the raw weights beside the average (ema_decay).
  const int64_t copies = step_->ema() ? 4 : 3;
  int64_t bytes = 0;
  for (const auto& p : model_.model->parameters())
    bytes += copies * p.numel() * static_cast<int64_t>(sizeof(float));
  preflight_disk_space(layout_.checkpoints(), bytes);
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
  nlohmann::json start = {{"restart", state_.restarts},
                          {"world_size", comm_.world_size()},
                          {"total_steps", events_.total_steps()},
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
      check_signal_lead(previous_stop_cost(layout_.metrics()), "the previous run's");
  }
  metrics_.write(
      resume_dir.empty() ? run_directory::RecordType::kStart : run_directory::RecordType::kResume,
      state_.step, start);
}

}  // namespace berth::trainer
