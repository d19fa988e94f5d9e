// The Predictor's load for inference (model/predictor.cpp): no random draws before the
// checkpoint's weights (model/random_init.h), the file's pages released as each tensor is
// copied (model/safetensors.h). Its fp32 logits must be those of the model load_classifier
// gives, which draws and then overwrites.
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "data/tokenizer.h"
#include "model/bert_layers.h"
#include "model/predictor.h"
#include "model/pretrained.h"
#include "model/random_init.h"
#include "tests/model/model_test_util.h"
#include "tests/support/seeded_classifier.h"

namespace berth::test {
namespace {

TEST(PredictorLoad, Fp32LogitsEqualTheDrawnThenLoadedModel) {
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/7, /*scale=*/20);
  const std::vector<std::string> texts = {"a gripping , funny and finally transporting film",
                                          "flat , lifeless and far too long .", "yes"};
  model::PredictorOptions o;
  o.model_dir = model_dir;
  o.threads = 1;
  model::Predictor predictor(o);
  auto loaded = model::load_classifier(model_dir);
  const auto tokenizer = data::Tokenizer::from_directory(model_dir);
  c10::InferenceMode inference;
  for (const auto& text : texts) {
    const data::Encoding e = tokenizer.encode(text, 128);
    const at::Tensor ids =
        at::tensor(std::vector<int64_t>(e.ids.begin(), e.ids.end())).unsqueeze(0);  // (1, seq)
    const at::Tensor want =
        loaded.model->forward(ids, at::ones_like(ids), at::zeros_like(ids)).logits;  // (1, labels)
    const auto got = predictor.predict({text});
    ASSERT_EQ(static_cast<int64_t>(got[0].logits.size()), want.size(1));
    for (int64_t k = 0; k < want.size(1); ++k)
      EXPECT_NEAR(got[0].logits[static_cast<size_t>(k)], want[0][k].item<float>(), 1e-5)
          << text << ", label " << k;
  }
}

TEST(PredictorLoad, NoRandomInitLeavesTheConstructedWeights) {
  model::BertConfig c;
  c.vocab_size = 50;
  c.hidden_size = 8;
  c.num_attention_heads = 2;
  c.intermediate_size = 16;
  c.max_position_embeddings = 16;
  at::Tensor drawn, skipped;
  {
    model::NoRandomInit guard;
    EXPECT_FALSE(model::random_init_enabled());
    model::BertLayer layer(c);
    model::init_bert_weights(layer, 0.02, std::nullopt);
    skipped = layer.intermediate->dense->weight.clone();
  }
  EXPECT_TRUE(model::random_init_enabled());
  model::BertLayer layer(c);
  model::init_bert_weights(layer, 0.02, std::nullopt);
  drawn = layer.intermediate->dense->weight;
  EXPECT_EQ(skipped.abs().max().item<float>(), 0.0f);
  EXPECT_GT(drawn.abs().max().item<float>(), 0.0f);
}

// LoadOptions::before_weights (the predictor's q/k/v laid out before the load): a parameter
// that the hook makes a view of another block receives the checkpoint's weights there.
TEST(PredictorLoad, BeforeWeightsHookReceivesTheWeightsInItsLayout) {
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/11, /*scale=*/1);
  at::Tensor block;
  model::LoadOptions o;
  o.before_weights = [&](model::SequenceClassifier& m) {
    for (auto& sub : m.modules(/*include_self=*/false)) {
      auto* a = dynamic_cast<model::BertSelfAttention*>(sub.get());
      if (a == nullptr) continue;
      const at::Tensor& w = a->key->weight;
      block = at::full({2 * w.size(0), w.size(1)}, -7.0f);
      a->key->weight.set_data(block.narrow(0, w.size(0), w.size(0)));
      return;  // the first layer's key only
    }
  };
  auto hooked = model::load_classifier(model_dir, o, c10::Device(c10::kCPU));
  auto plain = model::load_classifier(model_dir);
  ASSERT_TRUE(block.defined());
  at::Tensor want;
  for (auto& sub : plain.model->modules(/*include_self=*/false))
    if (auto* a = dynamic_cast<model::BertSelfAttention*>(sub.get()); a && !want.defined())
      want = a->key->weight;
  const int64_t h = want.size(0);
  EXPECT_TRUE(at::equal(block.narrow(0, h, h), want));
  EXPECT_EQ(block.narrow(0, 0, h).max().item<float>(), -7.0f);  // the rest left alone
}

// The load runs on one intra-op thread; the predictor then uses the threads asked for, and a
// load that fails leaves the process with them too, not with the load's one.
TEST(PredictorLoad, ThreadsAreTheRequestedOnesAfterTheLoadEvenWhenItFails) {
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/7, /*scale=*/1);
  model::PredictorOptions o;
  o.model_dir = model_dir;
  o.threads = 2;
  { model::Predictor predictor(o); }
  EXPECT_EQ(at::get_num_threads(), 2);
  o.model_dir = (dir / "absent").string();
  o.threads = 3;
  EXPECT_THROW(model::Predictor{o}, Error);
  EXPECT_EQ(at::get_num_threads(), 3);
}

}  // namespace
}  // namespace berth::test
