// berth train --config FILE.toml [--set section.key=value ...] [--resume
// auto|never|latest|best|DIR] [--tune-thresholds]
#include "common/log.h"
#include "launcher/commands.h"
#include "launcher/launch_env.h"
#include "trainer/train_config.h"
#include "trainer/trainer.h"

namespace berth::launcher {
namespace {

struct TrainArgs {
  std::string config;
  std::vector<std::string> set;
  trainer::RunOptions run;
  bool tune_thresholds = false;
};

CommandRegistrar reg(50, [](CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Fine-tune a classifier from a TOML config (MPI-aware)");
  cmd->add_option("--config", args->config, "TOML config (see configs/)")->required();
  cmd->add_option("--set", args->set, "Override a key: --set section.key=value (repeatable)");
  cmd->add_option_function<std::string>(
         "--resume",
         [args](const std::string& text) {
           args->run.resume = checkpoint::ResumeFrom::parse(text);
         },
         "auto: newest valid checkpoint if any; never; latest; best; or a checkpoint dir")
      ->default_str("auto");
  cmd->add_flag("--tune-thresholds", args->tune_thresholds,
                "Multi-label: pick each label's decision threshold on dev and store them in the "
                "checkpoints (--set train.tune_thresholds=true)");
  cmd->add_option("--trace-batches", args->run.batch_trace,
                  "Write each rank's micro-batch example indices to FILE.<rank> (testing)")
      ->group("");
  cmd->add_option("--stop-after-step", args->run.stop_after_step,
                  "Act as if stopped by a signal after step N (testing)")
      ->group("");
  cmd->add_option("--crash-at", args->run.crash_at,
                  "STEP:PHASE: die during that checkpoint write (testing)")
      ->group("");
  cmd->add_option("--hang-rank", args->run.hang_rank,
                  "Rank that stops taking part, sleeping forever (testing timeouts)")
      ->group("");
  cmd->add_option("--hang-after-step", args->run.hang_after_step,
                  "... after this optimizer step (testing timeouts)")
      ->group("");
  cmd->callback([args] {
    auto comm = make_communicator();
    // An error on one rank of an MPI job ends the whole job at once (see run_rank).
    exit_status() = run_rank(comm, [&] {
      auto overrides = args->set;
      if (args->tune_thresholds) overrides.push_back("train.tune_thresholds=true");
      auto config = trainer::TrainConfig::load(args->config, overrides);
      log::set_level(to_string(config.runtime.log_level));
      prepare_communicator(comm, config, args->run.resume.str());
      open_rank_log(config.train.run_dir, *comm);
      log_rank_place(*comm);
      return trainer::train(config, args->run, *comm);
    });
  });
});

}  // namespace
}  // namespace berth::launcher
