// One `berth train` run on one rank, as a few parts with one job each:
//   StepBatcher    the micro-batches of each step (step_batches.h)
//   StepRunner     the optimizer step itself, one body eager or graphed (step_runner.h)
//   StepLosses     the step losses kept on the device until a window reads them (step_losses.h)
//   EventSchedule  when to log, evaluate, save and stop (event_schedule.h)
//   ProgressReport the log lines, train records, live line and stop cost (progress_report.h)
// TrainingRun sets them up (training_run_setup.cpp), and runs the loop, taking the events the
// schedule decides: evaluation, checkpoints, the final test (trainer.cpp). Internal to the
// trainer module; the entry point is train() in trainer.h.
#pragma once

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_writer.h"
#include "checkpoint/run_lock.h"
#include "common/log.h"
#include "data/tokenizer.h"
#include "distributed/communicator.h"
#include "model/pretrained.h"
#include "run_directory/metrics_writer.h"
#include "run_directory/run_layout.h"
#include "trainer/corpus_source.h"
#include "trainer/event_schedule.h"
#include "trainer/lr_schedule.h"
#include "trainer/progress_report.h"
#include "trainer/scheduler_env.h"
#include "trainer/step_batches.h"
#include "trainer/step_losses.h"
#include "trainer/step_runner.h"
#include "trainer/train_config.h"
#include "trainer/train_state.h"
#include "trainer/trainer.h"

namespace berth::trainer {

class TrainingRun {
 public:
  TrainingRun(const TrainConfig& cfg, const RunOptions& opts, distributed::Communicator& comm)
      : cfg_(cfg),
        opts_(opts),
        layout_(cfg.train.run_dir, cfg.checkpoint.dir),
        comm_(comm),
        log_(log::get("trainer")),
        events_(cfg_, opts_, comm),
        progress_(log_) {}

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
  void announce_start(const std::string& resume_dir);
  // The loop and its events (trainer.cpp).
  void train_step();
  // Reads the losses of the steps queued since the last call (waiting for the device), checks
  // them and hands them to the progress report; returns the seconds it waited.
  double flush_losses();
  void settle_device();  // flush_losses(), its wait counted as training time
  void after_step();
  void end_epoch();
  void log_window(double lr);
  void evaluate_dev(const char* when);
  void save_checkpoint(const char* why);
  void ensure_run_dirs_in_place(const char* why);
  void final_test();
  void finish();
  void check_signal_lead(const StopCost& cost, const char* source);

  const TrainConfig& cfg_;
  RunOptions opts_;
  run_directory::RunLayout layout_;
  // Held by rank 0 for the run's life (see checkpoint/run_lock.h).
  checkpoint::RunLock run_lock_, checkpoint_lock_;
  distributed::Communicator& comm_;
  std::shared_ptr<spdlog::logger> log_;
  at::Device device_{at::kCPU};  // the autocast dtype is the step runner's (step_->autocast())

  std::unique_ptr<data::Tokenizer> tokenizer_;
  std::unique_ptr<TrainingData> data_;
  model::LoadedClassifier model_;
  ProblemType problem_ = ProblemType::kSingleLabel;  // from the training corpus
  // Multi-label decision thresholds chosen on dev (train.tune_thresholds); empty: 0.5 each.
  std::vector<double> thresholds_;
  std::unique_ptr<checkpoint::CheckpointWriter> writer_;
  run_directory::MetricsWriter metrics_;
  TrainState state_;
  std::unique_ptr<LrSchedule> schedule_;
  std::unique_ptr<StepBatcher> batches_;
  StepLosses losses_;
  EventSchedule events_;
  ProgressReport progress_;
  // The scheduler's signal lead time (BERTH_SIGNAL_LEAD_S), checked against the stop cost once
  // per process.
  std::optional<double> signal_lead_s_;
  bool lead_checked_ = false;
  // Last member: destroyed first, its graphs finish the queued steps and restore the stream.
  std::unique_ptr<StepRunner> step_;
};

}  // namespace berth::trainer
