// `--precision int8`: the packed int8 Linear against at::linear, and a classifier's int8
// predictions against its fp32 ones on a small set of real sentences.
#include <gtest/gtest.h>

#include <fstream>

#include "common/cpu_features.h"
#include "common/error.h"
#include "model/int8_linear.h"
#include "model/predictor.h"
#include "model/pretrained.h"
#include "tests/model/model_test_util.h"
#include "tests/support/seeded_classifier.h"

namespace berth::test {
namespace {

TEST(Int8Linear, CloseToFp32Linear) {
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  at::manual_seed(3);
  const at::Tensor w = at::randn({96, 384}) * 0.05;
  const at::Tensor b = at::randn({96}) * 0.1;
  const at::Tensor x = at::randn({2, 7, 384});
  const at::Tensor want = at::linear(x, w, b);
  const at::Tensor got = model::pack_int8_linear(w, b)->forward(x);
  ASSERT_EQ(got.sizes(), want.sizes());
  // Relative error of the whole output: int8 weights and 7-bit activations give about 1%.
  const double rel = ((got - want).norm() / want.norm()).item<double>();
  std::cout << "int8 linear: relative error " << rel << std::endl;
  EXPECT_LT(rel, 0.03);
}

TEST(Int8Linear, FastBf16FlagsAreRead) {
  EXPECT_TRUE(flags_have_fast_bf16("flags : fpu avx2 avx512f avx512_bf16 avx512_vnni"));
  EXPECT_TRUE(flags_have_fast_bf16("flags : fpu avx2 amx_bf16 amx_tile"));
  EXPECT_FALSE(flags_have_fast_bf16("flags : fpu avx2 avx512f avx512_vnni"));
  EXPECT_FALSE(flags_have_fast_bf16("flags : fpu avx2 avx512_bf16x"));
}

TEST(Int8Linear, Bf16SupportNeedsTheAmxGrantForTiles) {
  const std::string spr = "flags : fpu avx2 avx512f avx512_bf16 avx512_vnni amx_bf16 amx_tile";
  EXPECT_EQ(flags_bf16_support(spr, true), Bf16Support::kAmx);
  // The tiles refused (old kernel, seccomp, bench/no_amx): its AVX-512 BF16 is what runs.
  EXPECT_EQ(flags_bf16_support(spr, false), Bf16Support::kAvx512Bf16);
  EXPECT_EQ(flags_bf16_support("flags : fpu avx2 avx512f avx512_bf16", false),
            Bf16Support::kAvx512Bf16);
  EXPECT_EQ(flags_bf16_support("flags : fpu avx2 avx512f", true), Bf16Support::kEmulated);
  EXPECT_EQ(flags_bf16_support("", true), Bf16Support::kUnknown);
}

// The seeded 3-label classifier (tests/support/seeded_classifier.h); int8 must give the same labels
// as fp32 on nearly all of 300 SST-2 test sentences, with close probabilities.
TEST(Int8Predictor, AgreesWithFp32OnASmallSet) {
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  if (!shared_data_available()) GTEST_SKIP() << "no ../shared/data";
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/99, /*scale=*/20);
  std::vector<std::string> texts;
  std::ifstream csv(shared_data() / "sst2" / "test.csv");
  std::string line;
  std::getline(csv, line);  // header
  while (texts.size() < 300 && std::getline(csv, line))
    texts.push_back(line.substr(0, line.rfind(',')));  // the text, quotes and all: fine here

  model::PredictorOptions o;
  o.model_dir = model_dir;
  o.threads = 1;
  model::Predictor fp32(o);
  o.precision = InferencePrecision::kInt8;
  model::Predictor int8(o);
  auto want = fp32.predict(texts);
  auto got = int8.predict(texts);
  int same = 0;
  double worst = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    same += want[i].label == got[i].label;
    for (size_t k = 0; k < 3; ++k)
      worst = std::max(worst, static_cast<double>(std::abs(want[i].probs[k] - got[i].probs[k])));
  }
  const double agreement = 100.0 * same / static_cast<double>(texts.size());
  std::cout << "int8 vs fp32: " << agreement << "% same labels, max abs prob diff " << worst
            << std::endl;
  EXPECT_GE(agreement, 97.0);
}

// The precision is parsed where the command line is read: an unknown one is a usage error that
// lists int8 among the choices.
TEST(Int8Predictor, UnknownPrecisionIsRefusedNamingInt8) {
  auto r = run_command("'" + berth_binary() + "' predict --checkpoint '" +
                       default_model().string() + "' --input /dev/null --precision int4");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("int8"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::test
