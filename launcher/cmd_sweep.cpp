// berth sweep --config BASE.toml --space SPACE.toml [--out DIR] [--set k=v ...]
//             [--mode local|print|submit] [--max-concurrent N] [--sbatch-arg ARG ...]
// A hyperparameter sweep: the space's trials (sweep/space.h), each checked by the config's own
// loader before anything runs, planned into DIR (sweep/sweep_plan.h), then trained here one
// after another or as a Slurm job array (sweep/array_submit.h). `berth report DIR` ranks them.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "common/error.h"
#include "common/file_read.h"
#include "common/log.h"
#include "launcher/commands.h"
#include "sweep/array_submit.h"
#include "sweep/local_runner.h"
#include "sweep/space.h"
#include "sweep/sweep_plan.h"
#include "sweep/trial_state.h"
#include "trainer/train_config.h"

namespace berth::launcher {
namespace {

namespace fs = std::filesystem;

struct SweepArgs {
  std::string config;
  std::string space;
  std::string out;
  std::vector<std::string> set;
  sweep::SweepMode mode = sweep::SweepMode::kLocal;
  int max_concurrent = 0;
  std::string sbatch_script = "slurm/sweep.sbatch";
  std::vector<std::string> sbatch_args;
};

std::string self_executable() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("berth") : p.string();
}

// sbatch's output (the job id with --parsable) and exit code.
std::pair<int, std::string> run_capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {127, "cannot start sbatch"};
  std::array<char, 256> buf{};
  while (fgets(buf.data(), buf.size(), pipe) != nullptr) out += buf.data();
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 1, out};
}

void run_sweep(const SweepArgs& a) {
  auto log = log::get("sweep");
  const auto base_text = read_file(a.config);
  if (!base_text)
    throw usage_error("sweep", "cannot read config file " + a.config,
                      "check the path given to --config; examples are in configs/");
  const auto space = sweep::Space::load(a.space);
  const fs::path dir =
      a.out.empty() ? fs::path("sweeps") / fs::path(a.space).stem() : fs::path(a.out);
  const auto plan = sweep::Plan::make(space, a.config, a.set);
  const sweep::Resolver resolve = [&](const std::vector<std::string>& assignments) {
    return trainer::TrainConfig::parse(*base_text, a.config, assignments).to_toml();
  };
  const auto configs = sweep::resolve_trials(plan, space, dir, resolve);
  sweep::write_plan(dir, plan, configs);
  log->info("{} trial(s) ({} over {} key(s)) planned in {}", plan.trials.size(),
            to_string(plan.method), plan.keys.size(), sweep::plan_path(dir).string());

  if (a.mode == sweep::SweepMode::kLocal) {
    const auto outcome = sweep::run_local(plan, dir, self_executable());
    std::cout << sweep::summary(outcome) << "report: berth report " << dir.string() << std::endl;
    exit_status() = outcome.exit_code();
    return;
  }
  std::vector<int> todo;
  for (const auto& t : plan.trials)
    if (sweep::read_trial_status(dir / t.name).state != sweep::TrialState::kDone)
      todo.push_back(t.index);
  if (todo.empty()) {
    std::cout << "every trial of " << dir.string() << " is done: nothing to submit\n";
    return;
  }
  if (!fs::exists(a.sbatch_script))
    throw usage_error(
        "sweep", "no batch script at " + a.sbatch_script,
        "run from the Berth checkout or give --sbatch-script PATH/slurm/sweep.sbatch");
  sweep::ArrayOptions o{a.sbatch_script, self_executable(), a.max_concurrent, a.sbatch_args};
  const auto command = sweep::shell_join(sweep::sbatch_command(dir, todo, o));
  if (a.mode == sweep::SweepMode::kPrint) {
    std::cout << command << std::endl;
    return;
  }
  const auto [rc, out] = run_capture(command);
  if (rc != 0)
    throw usage_error("sweep", "sbatch failed (exit " + std::to_string(rc) + "): " + out,
                      "check the command with --mode print; pass site options with --sbatch-arg");
  std::cout << "submitted job array " << out.substr(0, out.find_first_of(";\n")) << " ("
            << todo.size() << " trial(s)); berth report " << dir.string() << std::endl;
}

CommandRegistrar reg(55, [](CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand(
      "sweep", "Train a config over a search space (grid or random), here or as a Slurm array");
  cmd->add_option("--config", a->config, "The base TOML config every trial starts from")
      ->required();
  cmd->add_option("--space", a->space, "The search space (TOML; see configs/sweep-sst2.toml)")
      ->required();
  cmd->add_option("--out", a->out, "The sweep directory (default sweeps/<space file's stem>)");
  cmd->add_option("--set", a->set, "Override a key in every trial: --set section.key=value");
  cmd->add_option_function<std::string>(
         "--mode",
         [a](const std::string& text) {
           auto m = parse_choice<sweep::SweepMode>(text);
           if (!m)
             throw usage_error("sweep", "--mode is '" + text + "'",
                               "use " + allowed_choices<sweep::SweepMode>());
           a->mode = *m;
         },
         "local: train the trials here, one after another; print: print the sbatch command of "
         "the job array; submit: run it")
      ->default_str("local");
  cmd->add_option("--max-concurrent", a->max_concurrent,
                  "Slurm: at most N trials at once (--array=...%N); 0 = no limit")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--sbatch-script", a->sbatch_script, "The array's batch script")
      ->default_str("slurm/sweep.sbatch");
  cmd->add_option("--sbatch-arg", a->sbatch_args,
                  "An sbatch option for the array, e.g. --sbatch-arg=--partition=gpu (repeatable)")
      ->allow_extra_args(false);
  cmd->callback([a] { run_sweep(*a); });
});

}  // namespace
}  // namespace berth::launcher
