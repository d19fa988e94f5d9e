// The options `berth predict` and `berth eval` share for running a model: batch size, device,
// precision and threads (declared once so the two commands cannot drift apart).
#pragma once

#include <CLI/CLI.hpp>

#include "model/predictor.h"

namespace berth::launcher {

void add_predictor_options(CLI::App* cmd, model::PredictorOptions& options);

}  // namespace berth::launcher
