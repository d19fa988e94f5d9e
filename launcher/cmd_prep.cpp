// berth prep: tokenize a CSV/TSV/JSONL/TXT file once into an HDF5 corpus for training
// (docs/corpus-format.md). The option names are a contract: scripts and configs use them.
#include <filesystem>
#include <memory>

#include "common/error.h"
#include "common/log.h"
#include "data/prep.h"
#include "launcher/commands.h"
#include "launcher/launch_env.h"
#include "launcher/truncation_options.h"
#include "model/model_config.h"

namespace berth::launcher {
namespace {

// A corpus longer than the model's positions would prep fine and fail at its first use: refuse
// it here, where the model directory is known anyway.
void check_max_length(const data::PrepOptions& o) {
  const auto config = std::filesystem::path(o.model_dir) / "config.json";
  if (!std::filesystem::exists(config)) return;  // a tokenizer-only directory: nothing to check
  const auto positions = model::ModelConfig::from_file(config.string()).max_sequence_length();
  if (o.max_length > positions) {
    throw usage_error("prep",
                      "--max-length " + std::to_string(o.max_length) + " is more than the " +
                          std::to_string(positions) + " positions the model in " + o.model_dir +
                          " can embed",
                      "use --max-length " + std::to_string(positions) + " or less");
  }
}

void register_prep(CLI::App& app) {
  auto opts = std::make_shared<data::PrepOptions>();
  auto format = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("prep", "Tokenize a CSV/TSV/JSONL/TXT file into an HDF5 corpus");
  cmd->add_option("--model", opts->model_dir, "Hugging Face model/tokenizer directory")->required();
  cmd->add_option("--input", opts->input, "Input file (.csv, .tsv, .jsonl/.json, .txt)")
      ->required();
  cmd->add_option("--out", opts->output, "Output corpus (.h5)")->required();
  cmd->add_option("--text-column", opts->text_column, "Column holding the text")
      ->capture_default_str();
  auto* label = cmd->add_option("--label-column", opts->label_column,
                                "Column holding the label (default 'label' when present; "
                                "without it the corpus is unlabeled)")
                    ->capture_default_str();
  cmd->add_option("--text-pair-column", opts->text_pair_column,
                  "Column holding the second text of a pair (NLI, QA pairs)");
  cmd->add_option("--labels-from", opts->labels_from,
                  "Reuse the label map of this corpus (e.g. train.h5 when prepping dev/test)");
  cmd->add_flag("--multi-label", opts->multi_label,
                "Each label cell is a list of labels (a JSON array in JSONL, else joined by "
                "--label-separator); implied by a multi-label --labels-from corpus");
  auto* separator = cmd->add_option("--label-separator", opts->label_separator,
                                    "Between the labels of a CSV/TSV cell (multi-label)")
                        ->capture_default_str();
  cmd->add_option("--max-length", opts->max_length,
                  "Truncate to this many tokens, [CLS]/[SEP] included")
      ->capture_default_str();
  add_truncation_options(cmd, opts->truncation);
  cmd->add_option("--format", *format, "Input format (default: from the extension)")
      ->check(CLI::IsMember({"csv", "tsv", "jsonl", "json", "txt"}));
  cmd->add_flag("--strict", opts->strict,
                "Fail on rows with empty text or no label instead of skipping them");
  cmd->add_option("--threads", opts->threads, "Tokenizer threads (0: all cores)")
      ->capture_default_str();
  cmd->callback([opts, format, label, separator] {
    require_single_process("prep");
    data::PrepOptions o = *opts;
    if (separator->count() > 0 && !o.multi_label && o.labels_from.empty())
      throw usage_error("prep", "--label-separator is given without --multi-label",
                        "add --multi-label (labels are lists), or drop --label-separator");
    o.label_column_required = label->count() > 0;
    if (!format->empty()) o.format = data::parse_table_format(*format);
    check_max_length(o);
    auto stats = data::prep_corpus(o);
    if (stats.rows_written == 0) {
      log::get("prep")->warn("{} has no data rows: the corpus {} is empty (a header alone?)",
                             o.input, o.output);
    }
  });
}

CommandRegistrar registrar(30, register_prep);

}  // namespace
}  // namespace berth::launcher
