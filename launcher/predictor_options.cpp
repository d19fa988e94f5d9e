#include "launcher/predictor_options.h"

#include "common/error.h"
#include "distributed/communicator_factory.h"

namespace berth::launcher {

void add_predictor_options(CLI::App* cmd, model::PredictorOptions& options) {
  cmd->add_option("--batch-size", options.batch_size)->capture_default_str();
  // Parsed here, once: a bad name is a usage error naming the option and the allowed values.
  cmd->add_option_function<std::string>(
         "--device",
         [&options](const std::string& text) {
           auto device = DeviceSetting::parse(text);
           if (!device) {
             throw usage_error("launcher", "--device is '" + text + "'",
                               std::string("use ") + DeviceSetting::kAllowed);
           }
           options.device = distributed::process_device(*device, "--device");
         },
         "cpu, cuda or cuda:N")
      ->default_str("cpu");
  cmd->add_option_function<std::string>(
         "--precision",
         [&options](const std::string& text) {
           auto precision = parse_choice<InferencePrecision>(text);
           if (!precision) {
             throw usage_error("launcher", "--precision is '" + text + "'",
                               "use " + allowed_choices<InferencePrecision>());
           }
           options.precision = *precision;
         },
         "fp32, bf16 or fp16 (autocast), or int8 (CPU: int8 Linear weights)")
      ->default_str(to_string(options.precision));
  cmd->add_option("--threads", options.threads, "CPU threads (0: all cores)")
      ->capture_default_str();
}

}  // namespace berth::launcher
