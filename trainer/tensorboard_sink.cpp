#include "trainer/tensorboard_sink.h"

#include "common/error.h"
#include "common/log.h"

namespace berth::trainer {

namespace {

// Record key -> tag suffix, for the numbers of each record type.
const std::pair<const char*, const char*> kTrainKeys[] = {
    {"mean_loss", "loss"},
    {"lr", "lr"},
    {"grad_norm", "grad_norm"},
    {"samples_per_s", "samples_per_s"},
    {"tokens_per_s", "tokens_per_s"},
    {"epoch", "epoch"},
    {"loss_scale", "loss_scale"},
    {"comm_wait_fraction", "comm_wait_fraction"}};
const char* const kEvalKeys[] = {"loss", "accuracy", "macro_f1"};

}  // namespace

void TensorBoardSink::add(const std::string& tag, int64_t step, const nlohmann::json& value,
                          double time) {
  if (!value.is_number()) return;  // e.g. a null gradient norm (fp16 overflow)
  writer_->add({tag, step, value.get<double>(), time});
}

void TensorBoardSink::operator()(const nlohmann::json& r) {
  if (failed_ || !r.contains("type") || !r.contains("step")) return;
  try {
    const std::string type = r["type"].get<std::string>();
    const int64_t step = r["step"].get<int64_t>();
    const double time = r.value("time", 0.0);
    if (type == "start" || type == "resume") {
      writer_.reset();
      writer_ = std::make_unique<TensorBoardWriter>(dir_, type == "start" ? -1 : step);
      return;
    }
    // Records before a start record (none in `berth train`) keep what the directory has.
    if (!writer_) writer_ = std::make_unique<TensorBoardWriter>(dir_, INT64_MAX);
    if (type == "train") {
      for (const auto& [key, tag] : kTrainKeys)
        if (r.contains(key)) add(std::string("train/") + tag, step, r[key], time);
    } else if (type == "eval" || type == "test") {
      const std::string split = r.value("split", type) + "/";
      for (const char* key : kEvalKeys)
        if (r.contains(key)) add(split + key, step, r[key], time);
      // Eval records carry {label: f1}; the test record the full per-class report.
      if (r.contains("per_class_f1"))
        for (const auto& [label, f1] : r["per_class_f1"].items())
          add(split + "f1/" + label, step, f1, time);
      if (r.contains("per_class") && r["per_class"].is_object())
        for (const auto& [label, m] : r["per_class"].items())
          if (m.contains("f1")) add(split + "f1/" + label, step, m["f1"], time);
    }
  } catch (const std::exception& e) {
    failed_ = true;
    log::get("tensorboard")
        ->warn("TensorBoard events are no longer written to {}: {}", dir_, e.what());
  }
}

}  // namespace berth::trainer
