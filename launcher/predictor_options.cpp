#include "launcher/predictor_options.h"

namespace berth::launcher {

void add_predictor_options(CLI::App* cmd, model::PredictorOptions& options) {
  cmd->add_option("--batch-size", options.batch_size)->capture_default_str();
  cmd->add_option("--device", options.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--precision", options.precision,
                  "fp32, bf16 or fp16 (autocast), or int8 (CPU: int8 Linear weights)")
      ->capture_default_str();
  cmd->add_option("--threads", options.threads, "CPU threads (0: all cores)")
      ->capture_default_str();
}

}  // namespace berth::launcher
