// Slurm awareness of berth train (trainer/scheduler_env.h): the job id and requeue count from
// the environment, BERTH_SIGNAL_LEAD_S, the previous run's stop cost from metrics.jsonl, and the
// lead-time warning. The end-to-end path is tests/slurm/preemption_test.sh (make test-slurm).
#include "trainer/scheduler_env.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

using trainer::StopCost;

// Sets (or unsets, for nullptr) environment variables for one test and restores them after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old) old_ = old, had_ = true;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_, old_.c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(SchedulerEnv, JobIdAndRestartCount) {
  ScopedEnv a("SLURM_ARRAY_JOB_ID", nullptr), b("SLURM_ARRAY_TASK_ID", nullptr);
  {
    ScopedEnv j("SLURM_JOB_ID", nullptr), r("SLURM_RESTART_COUNT", nullptr);
    auto s = trainer::scheduler_info_from_env();
    EXPECT_EQ(s.job_id, "");
    EXPECT_EQ(s.restart_count, -1);
  }
  {
    ScopedEnv j("SLURM_JOB_ID", "1234"), r("SLURM_RESTART_COUNT", nullptr);
    auto s = trainer::scheduler_info_from_env();
    EXPECT_EQ(s.job_id, "1234");
    EXPECT_EQ(s.restart_count, 0) << "Slurm sets SLURM_RESTART_COUNT only after a requeue";
  }
  {
    ScopedEnv j("SLURM_JOB_ID", "1240"), r("SLURM_RESTART_COUNT", "2");
    ScopedEnv aj("SLURM_ARRAY_JOB_ID", "1234"), at("SLURM_ARRAY_TASK_ID", "6");
    auto s = trainer::scheduler_info_from_env();
    EXPECT_EQ(s.job_id, "1234_6") << "array tasks are known by <array job>_<task>";
    EXPECT_EQ(s.restart_count, 2);
  }
}

TEST(SchedulerEnv, SignalLead) {
  {
    ScopedEnv e("BERTH_SIGNAL_LEAD_S", nullptr);
    EXPECT_FALSE(trainer::signal_lead_from_env().has_value());
  }
  {
    ScopedEnv e("BERTH_SIGNAL_LEAD_S", "180");
    EXPECT_EQ(trainer::signal_lead_from_env().value(), 180.0);
  }
  for (const char* bad : {"3m", "-5", "abc"}) {
    ScopedEnv e("BERTH_SIGNAL_LEAD_S", bad);
    EXPECT_THROW(trainer::signal_lead_from_env(), Error) << bad;
  }
}

TEST(SchedulerEnv, LeadTimeWarning) {
  EXPECT_EQ(trainer::lead_time_warning(180, StopCost{2.0, 20.0}), "");
  EXPECT_EQ(trainer::lead_time_warning(10, StopCost{}), "") << "unknown cost: nothing to say";
  auto w = trainer::lead_time_warning(10, StopCost{2.0, 20.0});
  EXPECT_NE(w.find("needs up to 22s"), std::string::npos) << w;
  EXPECT_NE(w.find("--signal"), std::string::npos) << w;
}

TEST(SchedulerEnv, PreviousStopCostFromMetrics) {
  TempDir dir;
  auto path = (dir / "metrics.jsonl").string();
  EXPECT_FALSE(trainer::previous_stop_cost(path).known()) << "no file";
  write_file(path,
             "{\"type\":\"start\",\"step\":0}\n"
             "{\"type\":\"checkpoint\",\"step\":10,\"seconds\":1.5,\"step_s\":0.25}\n"
             "{\"type\":\"train\",\"step\":11,\"loss\":0.5}\n"
             "not json at all, \"step_s\" (a torn line)\n"
             "{\"type\":\"checkpoint\",\"step\":20,\"seconds\":2.5,\"step_s\":0.5}\n"
             "{\"type\":\"checkpoint\",\"step\":30,\"seconds\":9.0}\n");
  auto c = trainer::previous_stop_cost(path);
  EXPECT_DOUBLE_EQ(c.step_s, 0.5);
  EXPECT_DOUBLE_EQ(c.checkpoint_s, 2.5);
}

}  // namespace
}  // namespace berth::test
