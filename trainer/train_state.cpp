#include "trainer/train_state.h"

#include <cstdint>
#include <stdexcept>

#include "common/error.h"

namespace berth::trainer {

nlohmann::json TrainState::to_json() const {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [s, m] : checkpoint_metrics)
    metrics[std::to_string(s)] = m ? nlohmann::json(*m) : nlohmann::json();
  return {{"format", "berth-train-state"},
          {"version", 1},
          {"step", step},
          {"epoch", epoch},
          {"position", position},
          {"samples_seen", samples_seen},
          {"world_size", world_size},
          {"best_metric", best_metric ? nlohmann::json(*best_metric) : nlohmann::json()},
          {"best_step", best_step},
          {"evals_without_improvement", evals_without_improvement},
          {"early_stopped", early_stopped},
          {"train_seconds", train_seconds},
          {"restarts", restarts},
          {"loss_scale", scaler.scale},
          {"loss_scale_growth_tracker", scaler.growth_tracker},
          {"skipped_steps", scaler.skipped},
          {"config_hash", config_hash},
          {"epoch_order_version", epoch_order_version},
          {"checkpoint_metrics", metrics}};
}

TrainState TrainState::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    if (j.value("format", "") != "berth-train-state") {
      throw model_error("checkpoint", source + " is not a Berth trainer state",
                        "resume from a directory written by 'berth train'");
    }
    // Integers only: nlohmann casts a JSON float to an integer type, undefined behaviour out of
    // range (as fuzzing found in the manifest reader).
    auto i64 = [&](const char* key) -> int64_t {
      const auto& v = j.at(key);
      if (!v.is_number_integer() ||
          (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)))
        throw model_error("checkpoint", source + ": \"" + key + "\" is not an integer",
                          "the trainer state is damaged; resume from another checkpoint");
      return v.get<int64_t>();
    };
    TrainState s;
    s.step = i64("step");
    s.epoch = i64("epoch");
    s.position = i64("position");
    s.samples_seen = i64("samples_seen");
    s.world_size = i64("world_size");
    if (!j.at("best_metric").is_null()) s.best_metric = j.at("best_metric").get<double>();
    s.best_step = i64("best_step");
    s.evals_without_improvement = i64("evals_without_improvement");
    s.early_stopped = j.at("early_stopped");
    s.train_seconds = j.at("train_seconds");
    s.restarts = i64("restarts");
    s.scaler = {j.at("loss_scale").get<double>(), i64("loss_scale_growth_tracker"),
                i64("skipped_steps")};
    s.config_hash = j.at("config_hash");
    s.epoch_order_version =
        j.contains("epoch_order_version") ? static_cast<int>(i64("epoch_order_version")) : 1;
    for (const auto& [k, v] : j.at("checkpoint_metrics").items())
      s.checkpoint_metrics[std::stoll(k)] =
          v.is_null() ? std::nullopt : std::optional<double>(v.get<double>());
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw model_error("checkpoint", source + ": " + e.what(),
                      "the trainer state is damaged; resume from another checkpoint");
  } catch (const std::logic_error& e) {  // stoll on a checkpoint_metrics key that is no number
    throw model_error("checkpoint", source + ": " + e.what(),
                      "the trainer state is damaged; resume from another checkpoint");
  }
}

TrainState TrainState::parse(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // also out_of_range: a number too large
    throw model_error("checkpoint", source + " is not valid JSON: " + e.what(),
                      "resume from another checkpoint (--resume auto skips damaged ones)");
  }
  return from_json(j, source);
}

}  // namespace berth::trainer
