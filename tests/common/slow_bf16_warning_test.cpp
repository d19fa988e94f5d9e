// Which CPUs get a warning for bf16 and what it tells the user to do: bf16 on AVX-512 BF16
// without AMX tiles was measured slower than fp32 for prediction (0.64-0.73x) and for training
// (0.67-0.71x samples/s, BENCHMARKS.md "bf16 training without AMX"); with AMX it is faster, and
// without any bf16 instructions it is emulated.
#include <gtest/gtest.h>

#include <string>

#include "common/cpu_features.h"

namespace berth {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SlowBf16Warning, AvxBf16WithoutAmxWarnsForTrainingAndPrediction) {
  const std::string train = slow_bf16_warning(Bf16Support::kAvx512Bf16, Bf16Use::kTraining);
  EXPECT_TRUE(has(train, "bf16 training on this CPU is likely slower than fp32")) << train;
  EXPECT_TRUE(has(train, "--set train.precision=fp32")) << train;
  const std::string predict = slow_bf16_warning(Bf16Support::kAvx512Bf16, Bf16Use::kPrediction);
  EXPECT_TRUE(has(predict, "bf16 prediction on this CPU is likely slower than fp32")) << predict;
  EXPECT_TRUE(has(predict, "--precision fp32")) << predict;
}

TEST(SlowBf16Warning, EmulatedWarnsWithEachCommandsHint) {
  EXPECT_TRUE(has(slow_bf16_warning(Bf16Support::kEmulated, Bf16Use::kTraining),
                  "--set train.precision=fp32"));
  EXPECT_TRUE(
      has(slow_bf16_warning(Bf16Support::kEmulated, Bf16Use::kPrediction), "int8 for prediction"));
}

TEST(SlowBf16Warning, AmxAndUnknownCpusAreNotWarned) {
  for (Bf16Use use : {Bf16Use::kTraining, Bf16Use::kPrediction}) {
    EXPECT_EQ(slow_bf16_warning(Bf16Support::kAmx, use), "");
    EXPECT_EQ(slow_bf16_warning(Bf16Support::kUnknown, use), "");
  }
}

}  // namespace
}  // namespace berth
