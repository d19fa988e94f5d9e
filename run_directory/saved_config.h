// The resolved config a run saved with its checkpoints (<step dir>/config.toml): the text a
// report shows and the train.metric its dev evaluations were ranked by.
#pragma once

#include <filesystem>
#include <string>

#include "common/choices.h"
#include "run_directory/run_layout.h"

namespace berth::run_directory {

struct SavedConfig {
  std::string text;                   // empty when no checkpoint holds a config
  std::filesystem::path from;         // the file it was read from
  Metric metric = Metric::kAccuracy;  // train.metric; the trainer's default when unset
};

// The config of the newest checkpoint under the layout's checkpoint root that has one.
SavedConfig find_saved_config(const RunLayout& layout);

// train.metric of a config's TOML text (the default when absent, unreadable or unknown).
Metric metric_of(const std::string& config_text);

}  // namespace berth::run_directory
