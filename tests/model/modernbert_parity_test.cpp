// Berth's ModernBERT classifier against transformers' ModernBertForSequenceClassification (its
// CPU path: sdpa over padded batches) on tiny random models
// (tests/python/make_deberta_modernbert.py): outputs of a padded batch whose longest sequence is
// five times the local attention window, the loss and every parameter's gradient, with [CLS]
// pooling and no biases, and with mean pooling and every bias; a Berth save loaded by
// transformers; and the config settings Berth refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "model/int8_linear.h"
#include "model/modernbert_config.h"
#include "model/pretrained.h"
#include "model/safetensors.h"
#include "tests/model/family_parity_util.h"

namespace berth::test {
namespace {

using model::ModernBertConfig;

// 40 tokens against local windows of 8 (+-4) and 6 (+-3); one token alone; an unpadded batch.
FamilyParityCase modernbert_case(const std::string& variant) {
  return {variant,
          31,
          {make_family_batch({40, 5, 17, 1}, 15, 3), make_family_batch({12, 12}, 16, 3)},
          false,
          "sdpa",
          "ModernBertForSequenceClassification"};
}

TEST(ModernBertParity, ClsPoolingLogitsLossAndEveryGradientMatchTransformers) {
  check_family_parity(modernbert_case("modernbert"));
}

TEST(ModernBertParity, MeanPoolingWithBiasesLogitsLossAndEveryGradientMatchTransformers) {
  check_family_parity(modernbert_case("modernbert-mean"));
}

// The local window matters: masking it away (every layer global) changes the long sequence's
// outputs, so the parity above exercises the sliding-window mask.
TEST(ModernBertParity, LocalWindowChangesLongSequences) {
  TempDir tmp;
  const std::string dir = make_family_model("modernbert", (tmp / "hf").string(), 3, 31);
  // One rotary theta for every layer, so that only the window differs between the two loads.
  const auto config_path = std::filesystem::path(dir) / "config.json";
  auto json = nlohmann::json::parse(read_file(config_path));
  json["local_rope_theta"] = json["global_rope_theta"];
  write_file(config_path, json.dump());
  auto local = model::load_classifier(dir, model::LoadOptions{}, c10::Device(c10::kCPU));
  json["global_attn_every_n_layers"] = 1;
  write_file(config_path, json.dump());
  auto global = model::load_classifier(dir, model::LoadOptions{}, c10::Device(c10::kCPU));
  auto b = make_family_batch({40, 4}, 17, 3);
  at::NoGradGuard no_grad;
  at::Tensor a = local.model->forward(b.ids, b.mask, {}).last_hidden;
  at::Tensor g = global.model->forward(b.ids, b.mask, {}).last_hidden;
  // The 4-token sequence fits every window: the same either way. The 40-token one does not.
  EXPECT_LE(max_abs_diff(a[1].narrow(0, 0, 4), g[1].narrow(0, 0, 4)), 1e-6);
  EXPECT_GT(max_abs_diff(a[0], g[0]), 1e-3);
}

TEST(ModernBertParity, BerthSavedCheckpointLoadsInTransformersWithSameLogits) {
  check_berth_save_loads_in_transformers("modernbert-mean", 32,
                                         make_family_batch({40, 9, 17}, 18, 4), "sdpa");
}

nlohmann::json tiny_config() {
  return {{"model_type", "modernbert"}, {"hidden_size", 32},       {"num_attention_heads", 4},
          {"num_hidden_layers", 4},     {"intermediate_size", 48}, {"vocab_size", 500},
          {"pad_token_id", 0},          {"local_attention", 8}};
}

void expect_refused(const nlohmann::json& j, const std::string& key) {
  try {
    ModernBertConfig::from_json(j, "cfg.json");
    ADD_FAILURE() << "accepted " << j.dump();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel);
    EXPECT_NE(e.message().find("cfg.json"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("\"" + key + "\""), std::string::npos) << e.message();
  }
}

TEST(ModernBertConfig, ReadsDefaultsAndRefusesWhatItDoesNotCompute) {
  auto c = ModernBertConfig::from_json(tiny_config(), "cfg.json");
  EXPECT_EQ(c.global_rope_theta, 160000.0);  // ModernBertConfig's defaults
  EXPECT_EQ(c.local_rope_theta, 10000.0);
  EXPECT_EQ(c.global_attn_every_n_layers, 3);
  EXPECT_TRUE(c.is_global_layer(0) && !c.is_global_layer(1) && !c.is_global_layer(2) &&
              c.is_global_layer(3));
  EXPECT_FALSE(c.norm_bias || c.attention_bias || c.mlp_bias || c.classifier_bias);
  EXPECT_EQ(c.pooling, model::Pooling::kCls);
  auto j = tiny_config();
  j["local_rope_theta"] = nullptr;  // HF: the global theta for local layers too
  EXPECT_EQ(ModernBertConfig::from_json(j, "cfg.json").local_rope_theta, 160000.0);

  auto with = [](const char* key, nlohmann::json v) {
    auto j = tiny_config();
    j[key] = std::move(v);
    return j;
  };
  expect_refused(with("rope_scaling", {{"rope_type", "linear"}, {"factor", 2.0}}), "rope_scaling");
  expect_refused(with("classifier_pooling", "max"), "classifier_pooling");
  expect_refused(with("hidden_activation", "mish"), "hidden_activation");
  expect_refused(with("pad_token_id", 50283), "pad_token_id");
  expect_refused(with("model_type", "deberta-v2"), "model_type");
  expect_refused(with("global_attn_every_n_layers", 0), "global_attn_every_n_layers");
}

// A bare ModernBertModel (names without "model.", no head, no classifier) loads with its encoder
// weights and a freshly initialised head and classifier, as HF initialises them: the head's norm
// at ones, its dense and the classifier truncated normals with zero biases where they have any.
TEST(ModernBertParity, BareBaseModelGetsAFreshHead) {
  TempDir tmp;
  const std::string dir = make_family_model("modernbert-mean", (tmp / "hf").string(), 3, 33);
  std::vector<std::pair<std::string, at::Tensor>> base;
  {
    model::SafetensorsFile f(dir + "/model.safetensors");
    for (const auto& e : f.entries())
      if (e.name.rfind("model.", 0) == 0) base.emplace_back(e.name.substr(6), f.load(e.name));
  }
  ASSERT_GT(base.size(), 10u);
  std::filesystem::create_directories(tmp / "bare");
  std::filesystem::copy_file(tmp / "hf" / "config.json", tmp / "bare" / "config.json");
  model::write_safetensors((tmp / "bare" / "model.safetensors").string(), base);

  auto full = model::load_classifier(dir);
  model::LoadOptions o;
  o.init_seed = 5;
  auto bare = model::load_classifier((tmp / "bare").string(), o, c10::Device(c10::kCPU));
  std::vector<std::string> fresh;
  auto full_params = full.model->named_parameters();
  for (auto& p : bare.model->named_parameters()) {
    if (p.key().rfind("head.", 0) == 0 || p.key().rfind("classifier.", 0) == 0) {
      fresh.push_back(p.key());
      EXPECT_FALSE(at::equal(p.value(), full_params[p.key()])) << p.key();
    } else {
      EXPECT_TRUE(at::equal(p.value(), full_params[p.key()])) << p.key();
    }
  }
  std::sort(fresh.begin(), fresh.end());
  auto got = bare.newly_initialised;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, fresh);
  EXPECT_EQ(fresh.size(), 6u);  // head.dense, head.norm, classifier: weight and bias each
  auto params = bare.model->named_parameters();
  EXPECT_TRUE(at::equal(params["head.norm.weight"], at::ones_like(params["head.norm.weight"])));
  EXPECT_TRUE(at::equal(params["classifier.bias"], at::zeros_like(params["classifier.bias"])));
  EXPECT_GT(params["head.dense.weight"].std().item<double>(), 1e-3);
  // HF's classifier init is N(0, hidden^-1/2) truncated at 2 standard deviations (0.177 x
  // 0.88 for hidden 32), not BERT's N(0, initializer_range = 0.02).
  EXPECT_NEAR(params["classifier.weight"].std().item<double>(), 0.156, 0.05);
  auto b = make_family_batch({12, 7}, 21, 3);
  at::NoGradGuard no_grad;
  EXPECT_TRUE(bare.model->forward(b.ids, b.mask, {}).logits.isfinite().all().item<bool>());
}

// int8 reaches ModernBERT's own linear maps (ModernBertLinear: Wqkv, Wo, Wi, Wo of every layer
// and the head's dense), leaves the classifier in fp32 and stays close to the fp32 logits.
TEST(ModernBertInt8, LinearsArePackedAndCloseToFp32) {
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  TempDir tmp;
  const std::string dir = make_family_model("modernbert", (tmp / "hf").string(), 3, 34);
  auto loaded = model::load_classifier(dir);
  auto b = make_family_batch({40, 9, 17}, 22, 3);
  at::NoGradGuard no_grad;
  const at::Tensor want = loaded.model->forward(b.ids, b.mask, {}).logits;
  const int packed = model::quantize_linears_int8(*loaded.model, loaded.model->head_prefixes());
  EXPECT_EQ(packed, 4 * 4 + 1);  // 4 layers x (Wqkv, attn Wo, Wi, mlp Wo) + head.dense
  const at::Tensor got = loaded.model->forward(b.ids, b.mask, {}).logits;
  const double rel = ((got - want).norm() / want.norm()).item<double>();
  std::cout << "modernbert int8 vs fp32 logits: relative error " << rel << std::endl;
  EXPECT_FALSE(at::equal(got, want));  // the int8 kernels ran
  EXPECT_LT(rel, 0.05);
}

}  // namespace
}  // namespace berth::test
