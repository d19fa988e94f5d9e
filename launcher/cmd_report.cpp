// berth report RUN_DIR|SWEEP_DIR [--output FILE.html] [--checkpoints DIR] [--no-verify] [--json]
// One self-contained HTML page about a training run (report/html_report.h): curves, evaluations,
// resumes, throughput, test metrics with the confusion matrix, config and checkpoints. Written
// to <RUN_DIR>/report.html unless --output says otherwise; the path is printed on stdout.
// A sweep directory (`berth sweep --out`) gets its leaderboard instead
// (report/sweep_leaderboard.h): printed, and as a page in <SWEEP_DIR>/report.html; --json prints it
// as JSON only.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/durable_fs.h"
#include "common/error.h"
#include "common/log.h"
#include "common/output_guard.h"
#include "launcher/commands.h"
#include "launcher/guarded_dirs.h"
#include "report/html_report.h"
#include "report/sweep_leaderboard.h"
#include "run_directory/run_layout.h"

namespace berth::launcher {
namespace {

struct ReportArgs {
  report::ReportOptions options;
  std::string output;
  bool no_verify = false;
  bool json = false;
};

void report_sweep(const ReportArgs& a) {
  namespace fs = std::filesystem;
  const auto board = report::read_leaderboard(a.options.run_dir);
  if (a.json) {
    std::cout << report::to_json(board).dump(2) << std::endl;
    return;
  }
  const fs::path own = run_directory::RunLayout(a.options.run_dir).report();
  const fs::path out = a.output.empty() ? own : fs::path(a.output);
  OutputGuard guard("report");
  guard.protect(a.options.run_dir, "SWEEP_DIR");  // the plan, every trial's files
  guard.allow(own.string());
  guard.check(out.string(), "--output");
  durable::write_file_atomically(out, report::render_sweep_report(board),
                                 {"report", ExitCode::kUsage});
  std::cout << report::leaderboard_text(board) << out.string() << std::endl;
}

void run_report(ReportArgs a) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(a.options.run_dir))
    throw usage_error("report", a.options.run_dir + " is not a directory",
                      "give a run directory (train.run_dir of the config)");
  if (report::is_sweep_dir(a.options.run_dir)) return report_sweep(a);
  if (a.json)
    throw usage_error("report", "--json is for sweep directories",
                      "give the --out directory of `berth sweep`, or drop --json for a run's page");
  a.options.verify = !a.no_verify;
  const fs::path own = run_directory::RunLayout(a.options.run_dir).report();
  const fs::path out = a.output.empty() ? own : fs::path(a.output);
  // The page may go anywhere but over the run it describes (-o RUN/metrics.jsonl replaced the
  // metrics with HTML); its own report.html is rewritten.
  OutputGuard guard("report");
  guard_run_dir(guard, a.options.run_dir, a.options.checkpoint_dir);
  guard.allow(own.string());
  guard.check(out.string(), "--output");
  std::string html = report::render_report(a.options);
  // Written aside and renamed (common's durable writer): a browser reloading the page never
  // sees half of it, and a full disk leaves the previous report in place.
  durable::write_file_atomically(out, html, {"report", ExitCode::kUsage});
  log::get("report")->info("wrote {} ({} KB)", out.string(), html.size() / 1024);
  std::cout << out.string() << std::endl;
}

void register_report(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML page about a training run (curves, metrics, "
      "checkpoints)");
  cmd->add_option("RUN_DIR", a->options.run_dir,
                  "The run directory (train.run_dir), or a sweep's --out directory")
      ->required();
  cmd->add_option("--output,-o", a->output, "HTML file to write (default: RUN_DIR/report.html)");
  cmd->add_option("--checkpoints", a->options.checkpoint_dir,
                  "Checkpoint root, when checkpoint.dir is not RUN_DIR/checkpoints");
  cmd->add_flag("--no-verify", a->no_verify,
                "List checkpoints from their manifests without hashing their files");
  cmd->add_flag("--json", a->json,
                "Sweep directory: print the leaderboard as JSON (no page written)");
  cmd->callback([a] { run_report(*a); });
}

const CommandRegistrar registrar(95, register_report);

}  // namespace
}  // namespace berth::launcher
