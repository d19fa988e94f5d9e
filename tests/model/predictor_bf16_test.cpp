// `--precision bf16` on the CPU: the Predictor casts the Linear weights to bf16 once at load
// instead of letting autocast cast them on every forward (model/predictor.cpp). Autocast's own
// cast rounds the same way, so the logits must be those of the fp32 model run under autocast.
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include <fstream>

#include "data/tokenizer.h"
#include "model/autocast_guard.h"
#include "model/predictor.h"
#include "model/pretrained.h"
#include "tests/model/model_test_util.h"
#include "tests/support/seeded_classifier.h"

namespace berth::test {
namespace {

TEST(Bf16Predictor, LogitsEqualAutocastOfTheFp32Model) {
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/7, /*scale=*/20);
  const std::vector<std::string> texts = {
      "a gripping , funny and finally transporting film", "flat , lifeless and far too long .",
      "it 's not a great movie , but it is n't a bad one either", "yes"};

  model::PredictorOptions o;
  o.model_dir = model_dir;
  o.threads = 1;
  o.precision = InferencePrecision::kBf16;
  model::Predictor predictor(o);

  auto loaded = model::load_classifier(model_dir);
  const auto tokenizer = data::Tokenizer::from_directory(model_dir);
  c10::InferenceMode inference;
  for (const auto& text : texts) {
    const data::Encoding e = tokenizer.encode(text, 128);
    std::vector<int64_t> ids(e.ids.begin(), e.ids.end());
    const at::Tensor input_ids = at::tensor(ids).unsqueeze(0);  // (1, seq)
    at::Tensor want;
    {
      model::AutocastGuard ac(at::kCPU, at::kBFloat16);
      want = loaded.model->forward(input_ids, at::ones_like(input_ids), at::zeros_like(input_ids))
                 .logits.to(at::kFloat);  // (1, labels)
    }
    const auto got = predictor.predict({text});
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(static_cast<int64_t>(got[0].logits.size()), want.size(1));
    for (int64_t k = 0; k < want.size(1); ++k)
      EXPECT_NEAR(got[0].logits[static_cast<size_t>(k)], want[0][k].item<float>(), 1e-6)
          << text << ", label " << k;
  }
}

}  // namespace
}  // namespace berth::test
