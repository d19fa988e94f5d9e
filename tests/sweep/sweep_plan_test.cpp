// The plan: every trial checked by the real config loader before anything is written (a bad key
// or value names the space file, its line, the key and the trial), sweep.toml read back equal,
// and a directory holding another plan refused.
#include "sweep/sweep_plan.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/file_read.h"
#include "tests/support/test_support.h"
#include "trainer/train_config.h"

namespace berth::sweep {
namespace {

namespace fs = std::filesystem;

const char* kBase = "[data]\ntrain = 'train.csv'\n[train]\nmax_steps = 10\n";

Resolver config_resolver() {
  return [](const std::vector<std::string>& assignments) {
    return trainer::TrainConfig::parse(kBase, "base.toml", assignments).to_toml();
  };
}

std::string error_of(const std::string& space_text) {
  test::TempDir dir;
  const auto space = Space::parse(space_text, "space.toml");
  const auto plan = Plan::make(space, "base.toml", {});
  try {
    resolve_trials(plan, space, dir.path(), config_resolver());
  } catch (const Error& e) {
    EXPECT_EQ(e.component(), "sweep");
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    return e.message() + " | " + e.hint();
  }
  ADD_FAILURE() << "accepted:\n" << space_text;
  return {};
}

TEST(SweepPlan, UnknownKeyNamesTheSpaceFileLineKeyAndTheFix) {
  auto e = error_of("[params]\n\"train.seed\" = [1, 2]\n\"optim.lrr\" = [1e-5]\n");
  EXPECT_NE(e.find("space.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("'optim.lrr'"), std::string::npos) << e;
  EXPECT_NE(e.find("trial-000"), std::string::npos) << e;
  EXPECT_NE(e.find("optim.lr"), std::string::npos) << e;  // the suggestion
}

TEST(SweepPlan, BadValuesNameTheKeyAndTheTrial) {
  auto e = error_of("[params]\n\"data.batch_size\" = [8, 0]\n");
  EXPECT_NE(e.find("space.toml:2: 'data.batch_size' = 0 (trial-001)"), std::string::npos) << e;
  EXPECT_NE(e.find("at least 1"), std::string::npos) << e;
  e = error_of("[params]\n\"train.precision\" = [\"fp8\"]\n");
  EXPECT_NE(e.find("'train.precision'"), std::string::npos) << e;
  EXPECT_NE(e.find("bf16"), std::string::npos) << e;  // the allowed names
  e = error_of("[params]\n\"train.max_steps\" = [\"ten\"]\n");
  EXPECT_NE(e.find("'train.max_steps'"), std::string::npos) << e;
  EXPECT_NE(e.find("integer"), std::string::npos) << e;
}

TEST(SweepPlan, WritesConfigsAndReadsBackTheSamePlan) {
  test::TempDir dir;
  const auto space =
      Space::parse("[params]\n\"optim.lr\" = [1e-5, 2e-5]\n\"train.seed\" = [3]\n", "space.toml");
  const auto plan = Plan::make(space, "base.toml", {"train.log_every=5"});
  const auto configs = resolve_trials(plan, space, dir.path(), config_resolver());
  write_plan(dir.path(), plan, configs);
  const auto back = Plan::read(plan_path(dir.path()));
  EXPECT_EQ(back.to_toml(), plan.to_toml());
  ASSERT_EQ(back.trials.size(), 2u);
  EXPECT_EQ(back.trials[1].name, "trial-001");
  EXPECT_EQ(back.trials[1].values, (std::vector<std::string>{"2e-05", "3"}));
  EXPECT_EQ(back.overrides, (std::vector<std::string>{"train.log_every=5"}));
  // Each trial's config is the full resolved config with its values and its own run directory.
  const auto c1 = trainer::TrainConfig::parse(*read_file(dir / "trial-001/config.toml"), "c1");
  EXPECT_EQ(c1.optim.lr, 2e-5);
  EXPECT_EQ(c1.train.seed, 3);
  EXPECT_EQ(c1.train.log_every, 5);
  EXPECT_EQ(c1.train.max_steps, 10);
  EXPECT_EQ(fs::path(c1.train.run_dir), fs::absolute(dir / "trial-001").lexically_normal());
  // The same sweep again: accepted (idempotent); another one into the same directory: refused.
  EXPECT_NO_THROW(write_plan(dir.path(), plan, configs));
  const auto other = Plan::make(space, "base.toml", {});
  try {
    write_plan(dir.path(), other, resolve_trials(other, space, dir.path(), config_resolver()));
    FAIL() << "a different plan was written over the sweep";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("holds another sweep"), std::string::npos) << e.message();
    EXPECT_NE(e.hint().find("--out"), std::string::npos) << e.hint();
  }
}

}  // namespace
}  // namespace berth::sweep
