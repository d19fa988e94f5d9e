#include "launcher/truncation_options.h"

#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "trainer/train_config.h"

namespace berth::launcher {

TruncationFlags add_truncation_options(CLI::App* cmd, data::TruncationRule& rule) {
  TruncationFlags f;
  // Parsed here, once: a bad name is a usage error naming the option and the allowed values.
  f.truncation = cmd->add_option_function<std::string>(
                        "--truncation",
                        [&rule](const std::string& text) {
                          auto v = parse_choice<Truncation>(text);
                          if (!v)
                            throw usage_error("launcher", "--truncation is '" + text + "'",
                                              "use " + allowed_choices<Truncation>());
                          rule.side = *v;
                        },
                        "Word pieces kept of a longer text: head, tail, or head_tail (the first "
                        "--head-tokens and the rest from the end)")
                     ->default_str(to_string(rule.side));
  f.head_tokens = cmd->add_option("--head-tokens", rule.head_tokens,
                                  "head_tail: word pieces kept from the start (-1: max length / 4)")
                      ->capture_default_str();
  return f;
}

void add_window_options(CLI::App* cmd, model::PredictorOptions& options) {
  cmd->add_option("--windows", options.windows_stride,
                  "Read whole texts in windows of --max-length tokens overlapping by STRIDE word "
                  "pieces; one prediction per text from its windows' logits")
      ->type_name("STRIDE");
  cmd->add_option_function<std::string>(
         "--window-aggregate",
         [&options](const std::string& text) {
           auto v = parse_choice<WindowAggregate>(text);
           if (!v)
             throw usage_error("launcher", "--window-aggregate is '" + text + "'",
                               "use " + allowed_choices<WindowAggregate>());
           options.window_aggregate = *v;
         },
         "With --windows: mean or max of the windows' logits")
      ->default_str(to_string(options.window_aggregate));
}

void use_checkpoint_text_settings(const std::string& checkpoint, const TruncationFlags& given,
                                  model::PredictorOptions& options) {
  const auto path = std::filesystem::path(checkpoint) / "config.toml";
  if (!std::filesystem::exists(path)) return;
  trainer::TrainConfig cfg;
  try {
    cfg = trainer::TrainConfig::load(path.string(), {});
  } catch (const Error& e) {
    log::get("launcher")
        ->warn("{}: not used ({}); texts are cut as the command line says", path.string(),
               e.message());
    return;
  }
  if (!(given.max_length && given.max_length->count() > 0))
    options.max_length = static_cast<int>(cfg.data.max_length);
  if (given.truncation->count() == 0) options.truncation.side = cfg.data.truncation;
  if (given.head_tokens->count() == 0)
    options.truncation.head_tokens = static_cast<int>(cfg.data.head_tokens);
  log::get("launcher")
      ->info("texts cut as in training ({}): max length {}, truncation {}", path.string(),
             options.max_length, options.truncation.describe(options.max_length));
}

}  // namespace berth::launcher
