#include "model/decision_thresholds.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace berth::model {

std::vector<double> read_thresholds(const std::string& dir,
                                    const std::vector<std::string>& label_names) {
  const std::string path = (std::filesystem::path(dir) / kThresholdsFile).string();
  std::ifstream f(path);
  if (!f) return {};
  const std::string hint = "fix or delete the file (without it every threshold is 0.5)";
  nlohmann::json j;
  try {
    std::stringstream ss;
    ss << f.rdbuf();
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw model_error("model", path + " is not valid JSON: " + e.what(), hint);
  }
  if (!j.is_object() || !j.contains("thresholds") || !j["thresholds"].is_object())
    throw model_error("model", path + ": expected {\"thresholds\": {\"<label>\": value, ...}}",
                      hint);
  const auto& t = j["thresholds"];
  if (t.size() != label_names.size())
    throw model_error("model",
                      path + " has " + std::to_string(t.size()) + " thresholds for " +
                          std::to_string(label_names.size()) + " labels in config.json",
                      hint);
  std::vector<double> out;
  for (const auto& name : label_names) {
    auto it = t.find(name);
    if (it == t.end())
      throw model_error("model", path + " has no threshold for label \"" + name + "\"", hint);
    if (!it->is_number() || !(it->get<double>() > 0 && it->get<double>() < 1))
      throw model_error("model",
                        path + ": the threshold of \"" + name + "\" is " + it->dump() +
                            ", not a number in (0, 1)",
                        hint);
    out.push_back(it->get<double>());
  }
  return out;
}

std::string thresholds_json(const std::vector<std::string>& label_names,
                            const std::vector<double>& thresholds, const nlohmann::json& extra) {
  nlohmann::json j = extra.is_object() ? extra : nlohmann::json::object();
  nlohmann::json t = nlohmann::json::object();
  for (size_t i = 0; i < label_names.size() && i < thresholds.size(); ++i)
    t[label_names[i]] = thresholds[i];
  j["thresholds"] = t;
  return j.dump(2) + "\n";
}

}  // namespace berth::model
