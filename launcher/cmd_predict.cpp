// berth predict --checkpoint DIR --input FILE [--output FILE.jsonl] [--text-column text]
//               [--pair-column COL] [--format csv|tsv|jsonl|txt] [--batch-size N]
//               [--max-length N] [--truncation head|tail|head_tail] [--head-tokens K]
//               [--windows STRIDE] [--window-aggregate mean|max]
//               [--device cpu|cuda|cuda:N] [--precision fp32|bf16|fp16|int8] [--threads N]
//               [--verify auto|always|never]
// Labels plain text (one text a line), CSV, TSV or JSONL with a fine-tuned checkpoint and writes
// one JSON line per input record, in input order:
//   {"label": "...", "score": p, "probs": {"label": p, ...}, "row": N}
// or, for a multi-label model, every label at or over its threshold (thresholds.json, else 0.5),
// most probable first, with the probabilities (sigmoid) of all labels:
//   {"labels": [{"label": "...", "score": p}, ...], "probs": {"label": p, ...}, "row": N}
// The input is streamed a window at a time (32 batches, sorted by length inside the window and
// padded per batch; model/predictor.h), so any input size works in bounded memory. At the end
// the throughput (texts/s, tokens/s, seconds, model load included) is printed on stderr.
// `--model` is accepted as an alias of `--checkpoint`.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"
#include "common/output_guard.h"
#include "common/progress_meter.h"
#include "launcher/checkpoint_use.h"
#include "launcher/commands.h"
#include "launcher/guarded_dirs.h"
#include "launcher/launch_env.h"
#include "launcher/output_target.h"
#include "launcher/predictor_options.h"
#include "launcher/truncation_options.h"
#include "model/predictor.h"

namespace berth::launcher {
namespace {

struct PredictArgs {
  model::PredictorOptions options;
  model::TableSpec table;
  std::string output;  // "" = standard output
};

void run_predict(const PredictArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  model::Predictor predictor(a.options);
  // A file appears only whole; a device or FIFO is written as is (launcher/output_target.h).
  OutputTarget out(a.output, "predict");
  const auto& names = predictor.label_names();
  std::string line;
  log::ProgressMeter meter(log::get("predict"), "predict", "texts");
  int64_t done = 0;
  const bool to_terminal = a.output.empty() && isatty(STDOUT_FILENO) == 1;
  const bool multi = predictor.multi_label();
  predictor.predict_table(a.table, [&](const data::TableRow& row, const model::Prediction& p,
                                       const std::vector<int64_t>&) {
    // Predictions printed on the terminal are their own progress.
    if (!to_terminal) meter.update(++done);
    // Keys in the documented order, probabilities in label order.
    nlohmann::ordered_json probs = nlohmann::ordered_json::object();
    for (size_t k = 0; k < names.size(); ++k) probs[names[k]] = p.probs[k];
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (multi) {
      nlohmann::ordered_json labels = nlohmann::ordered_json::array();
      for (int64_t k : p.labels) labels.push_back({{"label", names[k]}, {"score", p.probs[k]}});
      j["labels"] = std::move(labels);
    } else {
      j["label"] = names[p.label];
      j["score"] = p.probs[p.label];
    }
    j["probs"] = std::move(probs);
    j["row"] = row.record;
    line = j.dump();
    line += '\n';
    out.write(line);
  });
  out.finish();

  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& st = predictor.stats();
  const double pad_pct =
      st.padded_tokens > 0 ? 100.0 * (st.padded_tokens - st.tokens) / st.padded_tokens : 0.0;
  const std::string windows =
      a.options.windows_stride >= 0 ? " in " + std::to_string(st.examples) + " windows" : "";
  log::get("predict")->info(
      "{} text{}{}, {} tokens in {:.2f} s: {:.1f} texts/s, {:.0f} tokens/s (model load {:.2f} s, "
      "tokenize {:.2f} s, forward {:.2f} s; {} batch{}, {:.1f}% padding)",
      st.texts, st.texts == 1 ? "" : "s", windows, st.tokens, total_s,
      st.texts / std::max(total_s, 1e-9), st.tokens / std::max(total_s, 1e-9), st.load_s,
      st.tokenize_s, st.forward_s, st.batches, st.batches == 1 ? "" : "es", pad_pct);
}

void register_predict(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  auto* cmd =
      app.add_subcommand("predict", "Label a CSV/TSV/JSONL/TXT file with a fine-tuned model");
  cmd->add_option("--checkpoint,--model", a->options.model_dir,
                  "Fine-tuned checkpoint or exported model directory")
      ->required();
  cmd->add_option("--input", a->table.path, "Texts to label")->required();
  cmd->add_option("--format", a->table.format, "csv, tsv, jsonl or txt (default: from extension)");
  cmd->add_option("--text-column", a->table.text_column, "Column holding the text")
      ->capture_default_str();
  cmd->add_option("--pair-column", a->table.pair_column, "Column holding a second text, if any");
  cmd->add_option("--output", a->output, "JSON Lines output (default: standard output)");
  auto flags = add_truncation_options(cmd, a->options.truncation);
  flags.max_length =
      cmd->add_option("--max-length", a->options.max_length,
                      "Tokens per example (default: the checkpoint's data.max_length, else 128)")
          ->capture_default_str();
  add_window_options(cmd, a->options);
  add_predictor_options(cmd, a->options);
  auto verify = add_verify_option(cmd);
  cmd->callback([a, verify, flags] {
    require_single_process("predict");
    // Before anything is loaded: --output may not replace what predict reads.
    OutputGuard guard("predict");
    guard.protect(a->table.path, "--input");
    guard_checkpoint(guard, a->options.model_dir, "--checkpoint");
    guard.check(a->output, "--output");
    check_checkpoint_for_use(a->options.model_dir, *verify);
    use_checkpoint_text_settings(a->options.model_dir, flags, a->options);
    run_predict(*a);
    // The predictor, the model and LibTorch only have memory left to free.
    request_fast_exit();
  });
}

const CommandRegistrar registrar(70, register_predict);

}  // namespace
}  // namespace berth::launcher
