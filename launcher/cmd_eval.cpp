// berth eval --model DIR --input FILE [--label-column label] [--output FILE.json]: loss,
// accuracy, macro-F1 and per-class precision/recall/F1 of a fine-tuned model on a labelled file,
// printed as JSON (conventions in model/classification_metrics.h).
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"
#include "launcher/commands.h"
#include "model/classification_metrics.h"
#include "model/predictor.h"

namespace berth::launcher {
namespace {

struct EvalArgs {
  model::PredictorOptions options;
  model::TableSpec table;
  std::string output;
};

void run_eval(EvalArgs a) {
  model::Predictor predictor(a.options);
  model::ConfusionMatrix cm(predictor.label_names());
  double loss_sum = 0;
  predictor.predict_table(a.table,
                          [&](const data::TableRow&, const model::Prediction& p, int64_t label) {
                            cm.add(p.label, label);
                            // Cross-entropy from the logits in double: log-sum-exp minus the true
                            // class's logit.
                            double mx = p.logits[0];
                            for (float l : p.logits) mx = std::max<double>(mx, l);
                            double sum = 0;
                            for (float l : p.logits) sum += std::exp(l - mx);
                            loss_sum += mx + std::log(sum) - p.logits[label];
                          });
  auto report = cm.report();
  if (report.total == 0) throw data_error("eval", a.table.path + " has no records");
  nlohmann::json j = report.to_json();
  j["loss"] = loss_sum / report.total;
  j["model"] = a.options.model_dir;
  j["input"] = a.table.path;
  std::string text = j.dump(2) + "\n";
  std::cout << text << std::flush;
  if (!a.output.empty()) {
    std::ofstream f(a.output, std::ios::trunc);
    f << text;
    if (!f) throw usage_error("eval", "cannot write " + a.output);
  }
  log::get("eval")->info("{} examples: accuracy {:.4f}, macro-F1 {:.4f}, loss {:.4f}", report.total,
                         report.accuracy, report.macro_f1, loss_sum / report.total);
}

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  a->table.label_column = "label";
  auto* cmd = app.add_subcommand("eval", "Score a fine-tuned model on a labelled file");
  cmd->add_option("--model", a->options.model_dir, "Fine-tuned model or checkpoint directory")
      ->required();
  cmd->add_option("--input", a->table.path, "Labelled examples")->required();
  cmd->add_option("--format", a->table.format, "csv, tsv, jsonl or txt (default: from extension)");
  cmd->add_option("--text-column", a->table.text_column)->capture_default_str();
  cmd->add_option("--pair-column", a->table.pair_column, "Column holding a second text, if any");
  cmd->add_option("--label-column", a->table.label_column,
                  "Column holding the label (a name from the model's id2label, or a class id)")
      ->capture_default_str();
  cmd->add_option("--output", a->output, "Also write the JSON report to this file");
  cmd->add_option("--batch-size", a->options.batch_size)->capture_default_str();
  cmd->add_option("--max-length", a->options.max_length, "Tokens per example")
      ->capture_default_str();
  cmd->add_option("--device", a->options.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--precision", a->options.precision, "fp32, bf16 or fp16 (autocast)")
      ->capture_default_str();
  cmd->callback([a] { run_eval(*a); });
}

const CommandRegistrar registrar(80, register_eval);

}  // namespace
}  // namespace berth::launcher
