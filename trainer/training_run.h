// One `berth train` run on one rank: set-up (training_run_setup.cpp), the optimizer step
// (training_run_step.cpp), and evaluation, checkpoints and the loop (trainer.cpp). Internal to
// the trainer module; the entry point is train() in trainer.h.
#pragma once

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_writer.h"
#include "checkpoint/run_lock.h"
#include "common/clock.h"
#include "common/log.h"
#include "data/tokenizer.h"
#include "distributed/communicator.h"
#include "distributed/gradient_reducer.h"
#include "model/batch_tensors.h"
#include "model/pretrained.h"
#include "run_directory/metrics_writer.h"
#include "run_directory/run_layout.h"
#include "trainer/adamw.h"
#include "trainer/corpus_source.h"
#include "trainer/epoch_plan.h"
#include "trainer/loss_scaler.h"
#include "trainer/lr_schedule.h"
#include "trainer/scheduler_env.h"
#include "trainer/step_graphs.h"
#include "trainer/step_meter.h"
#include "trainer/train_config.h"
#include "trainer/train_state.h"
#include "trainer/trainer.h"

namespace berth::trainer {

// The training run, one object so the loop reads as the steps it takes.
class TrainingRun {
 public:
  TrainingRun(const TrainConfig& cfg, const RunOptions& opts, distributed::Communicator& comm)
      : cfg_(cfg),
        opts_(opts),
        layout_(cfg.train.run_dir, cfg.checkpoint.dir),
        comm_(comm),
        log_(log::get("trainer")) {}

  int execute();

 private:
  // Set-up, in this order (training_run_setup.cpp).
  void set_up_runtime();
  void load_model_and_state();  // the steps below
  void open_data();
  std::string choose_resume();  // the checkpoint directory to resume from, or ""
  void load_weights(const std::string& resume_dir);
  void set_up_optimization();
  void restore_progress(const std::string& resume_dir);
  void open_checkpoint_writer();
  void set_up_step_graphs();
  void announce_start(const std::string& resume_dir);
  // The loop (training_run_step.cpp, trainer.cpp).
  void train_step();
  void zero_grads();
  void forward_backward(const model::BatchTensors& t);  // adds the loss to step_loss_[0]
  void optimizer_update(double lr);
  // Reads the losses of the steps queued since the last call (waiting for the device), checks
  // them and adds them to the window; returns the seconds it waited.
  double flush_losses();
  void settle_device();  // flush_losses(), its wait counted as training time
  void after_step();
  void end_epoch();
  void evaluate_dev(const char* when);
  void save_checkpoint(const char* why);
  void ensure_run_dirs_in_place(const char* why);
  void final_test();
  void log_progress(double lr);
  void show_live_progress();  // the live line on a terminal (training_run_progress.cpp)
  void check_signal_lead(const StopCost& cost, const char* source);

  const TrainConfig& cfg_;
  RunOptions opts_;
  run_directory::RunLayout layout_;
  // Held by rank 0 for the run's life (see checkpoint/run_lock.h).
  checkpoint::RunLock run_lock_, checkpoint_lock_;
  distributed::Communicator& comm_;
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
  std::unique_ptr<distributed::GradientReducer> reducer_;
  std::optional<size_t> word_embeddings_;            // index into params_
  ProblemType problem_ = ProblemType::kSingleLabel;  // from the training corpus
  int64_t label_count_ = 0;  // multi-label: labels per multi-hot row (collate); 0 single-label
  // Multi-label decision thresholds chosen on dev (train.tune_thresholds); empty: 0.5 each.
  std::vector<double> thresholds_;
  at::Tensor class_weights_;                 // (labels) on the device, for the loss
  std::vector<double> class_weight_values_;  // the same, on the host, for the normaliser
  std::unique_ptr<checkpoint::CheckpointWriter> writer_;
  run_directory::MetricsWriter metrics_;
  std::ofstream trace_;

  // Device-side step values (see training_run_step.cpp): the step's loss sum and fp16 skip flag
  // (2,) double; the losses not yet read back, (capacity, 2); the last gradient norm and the
  // loss normaliser, 0-dim float.
  at::Tensor step_loss_, loss_log_, grad_norm_, normaliser_;
  int64_t pending_ = 0, pending_first_step_ = 0;
  double last_loss_ = NAN;
  bool last_stepped_ = true;
  bool persistent_grads_ = false;  // .grad allocated once and zeroed per step (CUDA graphs)
  int pad_multiple_ = 1;           // batch lengths rounded up to this (CUDA graphs)

  TrainState state_;
  std::optional<EpochPlan> plan_;
  int64_t plan_epoch_ = -1;
  int64_t steps_per_epoch_ = 0;
  int64_t total_steps_ = 0;
  int64_t warmup_steps_ = 0;
  int64_t last_saved_step_ = -1;
  Clock::time_point last_save_time_ = Clock::now();
  StepMeter window_;   // since the last log line
  StepMeter session_;  // since this process started (steps and seconds only)
  double smoothed_loss_ = NAN;
  // For the live line: the last logged window's rate and loss, and the last dev evaluation.
  double last_window_sps_ = NAN, last_window_loss_ = NAN;
  std::string last_dev_;
  // What a stop costs in this process (longest step after the first, longest checkpoint write),
  // checked against the scheduler's signal lead time (BERTH_SIGNAL_LEAD_S) once per process.
  std::optional<double> signal_lead_s_;
  StopCost stop_cost_;
  double first_step_s_ = 0;
  bool lead_checked_ = false;
  // Last member: destroyed first, it finishes the queued steps and restores the stream.
  std::unique_ptr<StepGraphs> graphs_;
};

}  // namespace berth::trainer
