// berth prep: tokenize a CSV/TSV/JSONL/TXT file once into an HDF5 corpus for training
// (docs/corpus-format.md). The option names are a contract: scripts and configs use them.
#include <memory>

#include "common/error.h"
#include "data/prep.h"
#include "launcher/commands.h"
#include "launcher/launch_env.h"

namespace berth::launcher {
namespace {

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
  cmd->add_option("--max-length", opts->max_length,
                  "Truncate to this many tokens, [CLS]/[SEP] included")
      ->capture_default_str();
  cmd->add_option("--format", *format, "Input format (default: from the extension)")
      ->check(CLI::IsMember({"csv", "tsv", "jsonl", "json", "txt"}));
  cmd->add_flag("--strict", opts->strict,
                "Fail on rows with empty text or no label instead of skipping them");
  cmd->add_option("--threads", opts->threads, "Tokenizer threads (0: all cores)")
      ->capture_default_str();
  cmd->callback([opts, format, label] {
    require_single_process("prep");
    data::PrepOptions o = *opts;
    o.label_column_required = label->count() > 0;
    if (!format->empty()) o.format = data::parse_table_format(*format);
    data::prep_corpus(o);
  });
}

CommandRegistrar registrar(30, register_prep);

}  // namespace
}  // namespace berth::launcher
