// The per-label decision thresholds of a multi-label checkpoint, in <dir>/thresholds.json:
//   {"thresholds": {"<label>": 0.37, ...}, "tuned_on": "dev"}
// written by `berth train` with train.tune_thresholds (chosen on the dev set at each
// evaluation), read by the predictor (`berth predict`, `eval`, `serve`). Without the file every
// label's threshold is 0.5. Torch-free.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::model {

inline constexpr const char* kThresholdsFile = "thresholds.json";

// Thresholds in label order, or empty when `dir` has no thresholds.json. A file that is not
// valid JSON, lacks one of the labels, names another or holds a value outside (0, 1) is a
// berth::model_error naming the file.
std::vector<double> read_thresholds(const std::string& dir,
                                    const std::vector<std::string>& label_names);

// The file's text; `extra` keys (tuned_on) are added beside "thresholds".
std::string thresholds_json(const std::vector<std::string>& label_names,
                            const std::vector<double>& thresholds,
                            const nlohmann::json& extra = nlohmann::json::object());

}  // namespace berth::model
