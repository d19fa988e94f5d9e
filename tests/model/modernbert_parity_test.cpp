// Berth's ModernBERT classifier against transformers' ModernBertForSequenceClassification (its
// CPU path: sdpa over padded batches) on tiny random models
// (tests/python/make_deberta_modernbert.py): outputs of a padded batch whose longest sequence is
// five times the local attention window, the loss and every parameter's gradient, with [CLS]
// pooling and no biases, and with mean pooling and every bias; a Berth save loaded by
// transformers; and the config settings Berth refuses.
#include <gtest/gtest.h>

#include "common/error.h"
#include "model/modernbert_config.h"
#include "model/pretrained.h"
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

}  // namespace
}  // namespace berth::test
