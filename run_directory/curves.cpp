#include "run_directory/curves.h"

#include <cmath>

namespace berth::run_directory {

namespace {

const std::vector<Curve> kTrain = {
    {"mean_loss", "loss", "loss (window mean)"},
    {"lr", "lr", "learning rate"},
    {"grad_norm", "grad_norm", "gradient norm"},
    {"samples_per_s", "samples_per_s", "samples/s"},
    {"tokens_per_s", "tokens_per_s", "tokens/s"},
    {"epoch", "epoch", "epoch"},
    {"loss_scale", "loss_scale", "loss scale"},
    {"comm_wait_fraction", "comm_wait_fraction", "gradient wait share"}};

const std::vector<Curve> kEvaluation = {{"loss", "loss", "loss"},
                                        {"accuracy", "accuracy", "accuracy"},
                                        {"macro_f1", "macro_f1", "macro-F1"},
                                        {"micro_f1", "micro_f1", "micro-F1"},
                                        {"subset_accuracy", "subset_accuracy", "subset accuracy"}};

const std::vector<Curve> kNone;

}  // namespace

const std::vector<Curve>& curves(RecordType type) {
  switch (type) {
    case RecordType::kTrain:
      return kTrain;
    case RecordType::kEval:
    case RecordType::kTest:
      return kEvaluation;
    default:
      return kNone;
  }
}

std::map<std::string, double> curve_values(const Record& r) {
  std::map<std::string, double> out;
  for (const auto& c : curves(r.type)) {
    double v = r.number(c.key);
    if (!std::isnan(v)) out[c.name] = v;
  }
  return out;
}

std::map<std::string, double> per_label_f1(const Record& r) {
  std::map<std::string, double> out;
  const auto& f = r.fields;
  if (f.contains("per_class_f1") && f["per_class_f1"].is_object())
    for (const auto& [label, v] : f["per_class_f1"].items())
      if (v.is_number()) out[label] = v.get<double>();
  if (f.contains("per_class") && f["per_class"].is_object())
    for (const auto& [label, m] : f["per_class"].items())
      if (m.is_object() && m.contains("f1") && m["f1"].is_number())
        out[label] = m["f1"].get<double>();
  return out;
}

double metric_value(const std::map<std::string, double>& values, Metric metric) {
  auto get = [&](const std::string& name) {
    auto it = values.find(name);
    return it == values.end() ? NAN : it->second;
  };
  if (metric == Metric::kMicroF1 && !values.count("micro_f1")) return get("accuracy");
  return get(to_string(metric));
}

}  // namespace berth::run_directory
