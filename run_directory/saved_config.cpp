#include "run_directory/saved_config.h"

#include <toml++/toml.h>

#include "checkpoint/layout.h"
#include "common/file_read.h"

namespace berth::run_directory {

Metric metric_of(const std::string& config_text) {
  try {
    auto root = toml::parse(config_text);
    if (auto name = root["train"]["metric"].value<std::string>())
      if (auto m = parse_choice<Metric>(*name)) return *m;
  } catch (const toml::parse_error&) {
    // A damaged config is shown as it is; the ranking falls back to the default.
  }
  return Metric::kAccuracy;
}

SavedConfig find_saved_config(const RunLayout& layout) {
  SavedConfig c;
  auto dirs = checkpoint::list_step_dirs(layout.checkpoints());
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    auto path = it->path / "config.toml";
    auto text = read_file(path);
    if (text && !text->empty()) {
      c.text = *text;
      c.from = path;
      c.metric = metric_of(c.text);
      return c;
    }
  }
  return c;
}

}  // namespace berth::run_directory
