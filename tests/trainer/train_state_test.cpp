// trainer_state.json as read at resume: a damaged file is a checkpoint error naming it, never
// undefined behaviour (a float where an integer belongs) or an internal error (a bad key).
#include "trainer/train_state.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace berth::trainer {
namespace {

nlohmann::json valid_state() {
  TrainState s;
  s.step = 12;
  s.checkpoint_metrics[12] = 0.5;
  return s.to_json();
}

TEST(TrainState, RoundTrips) {
  auto s = TrainState::from_json(valid_state(), "trainer_state.json");
  EXPECT_EQ(s.step, 12);
  EXPECT_EQ(s.checkpoint_metrics.at(12), 0.5);
}

TEST(TrainState, DamagedFieldsAreCheckpointErrors) {
  auto expect_error = [](nlohmann::json j, const std::string& what) {
    try {
      TrainState::from_json(j, "trainer_state.json");
      FAIL() << "no error for " << what;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kModel) << what;
      EXPECT_NE(e.message().find("trainer_state.json"), std::string::npos) << e.message();
    }
  };
  auto j = valid_state();
  j["step"] = 9e85;
  expect_error(j, "a huge float step");
  j = valid_state();
  j["world_size"] = "two";
  expect_error(j, "a string world size");
  j = valid_state();
  j["checkpoint_metrics"] = {{"twelve", 0.5}};
  expect_error(j, "a metric key that is no step");
}

}  // namespace
}  // namespace berth::trainer
