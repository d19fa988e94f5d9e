#include "trainer/train_state.h"

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
    TrainState s;
    s.step = j.at("step");
    s.epoch = j.at("epoch");
    s.position = j.at("position");
    s.samples_seen = j.at("samples_seen");
    s.world_size = j.at("world_size");
    if (!j.at("best_metric").is_null()) s.best_metric = j.at("best_metric").get<double>();
    s.best_step = j.at("best_step");
    s.evals_without_improvement = j.at("evals_without_improvement");
    s.early_stopped = j.at("early_stopped");
    s.train_seconds = j.at("train_seconds");
    s.restarts = j.at("restarts");
    s.scaler = {j.at("loss_scale").get<double>(), j.at("loss_scale_growth_tracker").get<int64_t>(),
                j.at("skipped_steps").get<int64_t>()};
    s.config_hash = j.at("config_hash");
    s.epoch_order_version = j.value("epoch_order_version", 1);
    for (const auto& [k, v] : j.at("checkpoint_metrics").items())
      s.checkpoint_metrics[std::stoll(k)] =
          v.is_null() ? std::nullopt : std::optional<double>(v.get<double>());
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw model_error("checkpoint", source + ": " + e.what(),
                      "the trainer state is damaged; resume from another checkpoint");
  }
}

}  // namespace berth::trainer
