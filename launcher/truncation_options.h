// How long texts are cut, on the command line: --truncation and --head-tokens (`berth prep`,
// `eval`, `predict`; the config's data.truncation and data.head_tokens, data/truncation.h), and
// for eval and predict the defaults a checkpoint brings: a directory written by `berth train`
// holds config.toml, whose data.max_length, data.truncation and data.head_tokens are used for the
// options not given, so that prediction cuts texts the way training did.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "data/truncation.h"
#include "model/predictor.h"

namespace berth::launcher {

struct TruncationFlags {
  CLI::Option* truncation = nullptr;
  CLI::Option* head_tokens = nullptr;
  CLI::Option* max_length = nullptr;  // set by the caller when the command has --max-length
};

TruncationFlags add_truncation_options(CLI::App* cmd, data::TruncationRule& rule);

// --windows STRIDE and --window-aggregate mean|max (eval and predict).
void add_window_options(CLI::App* cmd, model::PredictorOptions& options);

// Fills the options not given on the command line from <checkpoint>/config.toml when there is
// one (logged); a directory without it (an exported or downloaded model) keeps the defaults.
void use_checkpoint_text_settings(const std::string& checkpoint, const TruncationFlags& given,
                                  model::PredictorOptions& options);

}  // namespace berth::launcher
