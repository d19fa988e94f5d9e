// berth eval --checkpoint DIR --input FILE.csv|.tsv|.jsonl|.h5 [--label-column label]
//            [--output FILE.json] [--batch-size N] [--max-length N] [--truncation R]
//            [--head-tokens K] [--windows STRIDE] [--window-aggregate mean|max]
//            [--device cpu|cuda|cuda:N]
//            [--precision fp32|bf16|fp16|int8] [--threads N] [--json] [--verify auto|always|never]
// Loss, accuracy, macro-F1 (fractions in [0, 1]), per-class precision/recall/F1/support and the
// confusion matrix (labels in the checkpoint's label order) of a fine-tuned checkpoint on a
// labelled file (multi-label checkpoints: micro/macro-F1, subset accuracy and per-label scores at
// the checkpoint's thresholds, model/multi_label_metrics.h), printed as JSON (conventions in
// model/classification_metrics.h) when standard output is not a terminal or with --json, else as a
// readable table (launcher/eval_table.h).
// - A table's labels are label names (or class ids); one the checkpoint does not know is an
//   error naming it, its file and line.
// - A corpus made by `berth prep` (.h5, chosen by extension) is used as tokenized: it must come
//   from the checkpoint's tokenizer (else an error with a hint to re-prep), its labels are mapped
//   by name onto the checkpoint's id2label (an unknown one is an error naming it), and its own
//   truncation applies (--max-length, --text-column, --pair-column, --format do not).
// `--model` is accepted as an alias of `--checkpoint`.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/error.h"
#include "common/log.h"
#include "common/output_guard.h"
#include "data/corpus.h"
#include "launcher/checkpoint_use.h"
#include "launcher/commands.h"
#include "launcher/eval_table.h"
#include "launcher/guarded_dirs.h"
#include "launcher/launch_env.h"
#include "launcher/output_target.h"
#include "launcher/predictor_options.h"
#include "launcher/truncation_options.h"
#include "model/eval_accumulator.h"
#include "model/predictor.h"

namespace berth::launcher {
namespace {

struct EvalArgs {
  model::PredictorOptions options;
  model::TableSpec table;
  std::string output;
  bool json = false;               // --json: JSON even on a terminal
  bool table_options_set = false;  // --max-length/--text-column/... given (ignored for .h5)
};

void run_eval(EvalArgs a) {
  if (data::is_corpus(a.table.path) && a.options.windows_stride >= 0)
    throw usage_error("eval",
                      "--windows needs the texts, but " + a.table.path +
                          " is a tokenized corpus (its texts were cut when it was prepped)",
                      "evaluate the CSV/TSV/JSONL file it was prepped from");
  // Opened before the evaluation: a wrong directory is refused before minutes of scoring.
  std::optional<OutputTarget> out;
  if (!a.output.empty()) out.emplace(a.output, "eval");
  model::Predictor predictor(a.options);
  const bool multi = predictor.multi_label();
  model::EvalAccumulator acc(predictor.label_names(),
                             multi ? ProblemType::kMultiLabel : ProblemType::kSingleLabel,
                             predictor.thresholds());
  auto add = [&](const model::Prediction& p, const std::vector<int64_t>& labels) {
    acc.add(p.logits, labels);
  };
  if (data::is_corpus(a.table.path)) {
    if (a.table_options_set)
      log::get("eval")->warn(
          "{} is a tokenized corpus: --max-length, --text-column, --pair-column, --label-column "
          "and --format do not apply",
          a.table.path);
    predictor.predict_corpus(
        a.table.path, [&](int64_t, const model::Prediction& p, const std::vector<int64_t>& labels) {
          add(p, labels);
        });
  } else {
    predictor.predict_table(a.table, [&](const data::TableRow&, const model::Prediction& p,
                                         const std::vector<int64_t>& labels) { add(p, labels); });
  }
  auto report = acc.report();
  const double loss = acc.mean_loss();
  if (report.total == 0) throw data_error("eval", a.table.path + " has no records");
  nlohmann::json j = report.to_json();
  j["loss"] = loss;
  j["checkpoint"] = a.options.model_dir;
  j["input"] = a.table.path;
  std::string text = j.dump(2) + "\n";
  // People at a terminal read a table; pipes and scripts get the JSON.
  if (!a.json && isatty(STDOUT_FILENO) == 1)
    std::cout << format_eval_table(report, loss) << std::flush;
  else
    std::cout << text << std::flush;
  if (out) {
    out->write(text);
    out->finish();
  }
  const auto& st = predictor.stats();
  log::get("eval")->info(
      "{} examples: {}{:.4f}, macro-F1 {:.4f}, loss {:.4f} ({:.2f} s, {:.1f} examples/s)",
      report.total,
      multi ? fmt::format("micro-F1 {:.4f}, subset accuracy ", report.micro_f1) : "accuracy ",
      report.accuracy, report.macro_f1, loss, st.tokenize_s + st.forward_s,
      report.total / std::max(st.tokenize_s + st.forward_s, 1e-9));
}

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  a->table.label_column = "label";
  auto* cmd = app.add_subcommand("eval", "Score a fine-tuned model on a labelled file or corpus");
  cmd->add_option("--checkpoint,--model", a->options.model_dir,
                  "Fine-tuned checkpoint or exported model directory")
      ->required();
  cmd->add_option("--input", a->table.path,
                  "Labelled examples: CSV/TSV/JSONL, or a corpus from `berth prep` (.h5)")
      ->required();
  auto* format = cmd->add_option("--format", a->table.format,
                                 "csv, tsv, jsonl or txt (default: from extension)");
  auto* text = cmd->add_option("--text-column", a->table.text_column)->capture_default_str();
  auto* pair = cmd->add_option("--pair-column", a->table.pair_column,
                               "Column holding a second text, if any");
  auto* label =
      cmd->add_option("--label-column", a->table.label_column,
                      "Column holding the label (a name from the model's id2label, or a class id)")
          ->capture_default_str();
  auto* separator = cmd->add_option("--label-separator", a->table.label_separator,
                                    "Multi-label models: between the labels of a CSV/TSV cell "
                                    "(a JSONL cell may be a JSON array)")
                        ->capture_default_str();
  cmd->add_option("--output", a->output, "Also write the JSON report to this file");
  cmd->add_flag("--json", a->json,
                "Print the JSON report even when standard output is a terminal (default there: "
                "a table)");
  auto flags = add_truncation_options(cmd, a->options.truncation);
  auto* max_length = cmd->add_option("--max-length", a->options.max_length,
                                     "Tokens per example, tables only (default: the "
                                     "checkpoint's data.max_length, else 128)")
                         ->capture_default_str();
  flags.max_length = max_length;
  add_window_options(cmd, a->options);
  add_predictor_options(cmd, a->options);
  auto verify = add_verify_option(cmd);
  cmd->callback([a, format, text, pair, label, separator, max_length, verify, flags] {
    require_single_process("eval");
    // Before anything is loaded: --output may not replace the labelled input or a checkpoint's
    // or run's file.
    OutputGuard guard("eval");
    guard.protect(a->table.path, "--input");
    guard_checkpoint(guard, a->options.model_dir, "--checkpoint");
    guard.check(a->output, "--output");
    check_checkpoint_for_use(a->options.model_dir, *verify);
    use_checkpoint_text_settings(a->options.model_dir, flags, a->options);
    a->table_options_set = format->count() + text->count() + pair->count() + label->count() +
                               separator->count() + max_length->count() +
                               flags.truncation->count() + flags.head_tokens->count() >
                           0;
    run_eval(*a);
    // The predictor, the model and LibTorch only have memory left to free.
    request_fast_exit();
  });
}

const CommandRegistrar registrar(80, register_eval);

}  // namespace
}  // namespace berth::launcher
