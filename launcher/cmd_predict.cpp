// berth predict --model DIR --input FILE [--output FILE.jsonl]: one JSON line per input record,
// in input order: {"row": N, "label": "...", "score": p, "probs": {"label": p, ...}}.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "launcher/commands.h"
#include "model/predictor.h"

namespace berth::launcher {
namespace {

struct PredictArgs {
  model::PredictorOptions options;
  model::TableSpec table;
  std::string output;  // "" = standard output
};

void run_predict(const PredictArgs& a) {
  model::Predictor predictor(a.options);
  std::ofstream file;
  if (!a.output.empty()) {
    file.open(a.output, std::ios::trunc);
    if (!file) throw usage_error("predict", "cannot write " + a.output);
  }
  std::ostream& out = a.output.empty() ? std::cout : file;
  const auto& names = predictor.label_names();
  predictor.predict_table(a.table,
                          [&](const data::TableRow& row, const model::Prediction& p, int64_t) {
                            nlohmann::json probs = nlohmann::json::object();
                            for (size_t k = 0; k < names.size(); ++k) probs[names[k]] = p.probs[k];
                            nlohmann::json line = {{"row", row.record},
                                                   {"label", names[p.label]},
                                                   {"score", p.probs[p.label]},
                                                   {"probs", probs}};
                            out << line.dump() << '\n';
                          });
  out.flush();
  if (!out) throw data_error("predict", "cannot write the predictions", "is the disk full?");
}

void register_predict(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  auto* cmd =
      app.add_subcommand("predict", "Label a CSV/TSV/JSONL/TXT file with a fine-tuned model");
  cmd->add_option("--model", a->options.model_dir, "Fine-tuned model or checkpoint directory")
      ->required();
  cmd->add_option("--input", a->table.path, "Texts to label")->required();
  cmd->add_option("--format", a->table.format, "csv, tsv, jsonl or txt (default: from extension)");
  cmd->add_option("--text-column", a->table.text_column, "Column holding the text")
      ->capture_default_str();
  cmd->add_option("--pair-column", a->table.pair_column, "Column holding a second text, if any");
  cmd->add_option("--output", a->output, "JSON Lines output (default: standard output)");
  cmd->add_option("--batch-size", a->options.batch_size)->capture_default_str();
  cmd->add_option("--max-length", a->options.max_length, "Tokens per example")
      ->capture_default_str();
  cmd->add_option("--device", a->options.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--precision", a->options.precision, "fp32, bf16 or fp16 (autocast)")
      ->capture_default_str();
  cmd->callback([a] { run_predict(*a); });
}

const CommandRegistrar registrar(70, register_predict);

}  // namespace
}  // namespace berth::launcher
