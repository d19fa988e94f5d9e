// Berth's DeBERTa-v2/v3 classifier against transformers' DebertaV2ForSequenceClassification on
// tiny random models (tests/python/make_deberta_modernbert.py): outputs of a padded batch whose
// longest sequence spans more relative distances than the position buckets (and, in the v2
// variant, than max_relative_positions), the loss and every parameter's gradient; a Berth save
// loaded by transformers; and the config settings Berth refuses.
#include <gtest/gtest.h>

#include "common/error.h"
#include "model/deberta_v2_config.h"
#include "model/deberta_v2_layers.h"
#include "model/int8_linear.h"
#include "model/pretrained.h"
#include "tests/model/family_parity_util.h"

namespace berth::test {
namespace {

using model::DebertaV2Config;

// 40 tokens: distances up to 39, past the tiny v3 model's 8 buckets (log-bucketed from 4 on) and
// the v2 variant's max_relative_positions of 12 (clamped); one token alone; and an unpadded batch.
FamilyParityCase deberta_case(const std::string& variant, bool token_types) {
  return {variant,
          21,
          {make_family_batch({40, 7, 23, 1}, 5, 3), make_family_batch({12, 12}, 6, 3)},
          token_types,
          "eager",
          "DebertaV2ForSequenceClassification"};
}

TEST(DebertaV2Parity, V3LayoutLogitsLossAndEveryGradientMatchTransformers) {
  check_family_parity(deberta_case("deberta-v3", /*token_types=*/false));
}

TEST(DebertaV2Parity, V2LayoutLogitsLossAndEveryGradientMatchTransformers) {
  check_family_parity(deberta_case("deberta-v2", /*token_types=*/true));
}

TEST(DebertaV2Parity, BerthSavedCheckpointLoadsInTransformersWithSameLogits) {
  check_berth_save_loads_in_transformers("deberta-v3", 22, make_family_batch({40, 9, 17}, 8, 4),
                                         "eager");
}

nlohmann::json v3_config() {
  return {{"model_type", "deberta-v2"}, {"hidden_size", 32},           {"num_attention_heads", 4},
          {"num_hidden_layers", 2},     {"intermediate_size", 64},     {"vocab_size", 500},
          {"relative_attention", true}, {"pos_att_type", "p2c|c2p"},   {"position_buckets", 8},
          {"share_att_key", true},      {"norm_rel_ebd", "layer_norm"}};
}

// The message names the file and the key.
void expect_refused(const nlohmann::json& j, const std::string& key) {
  try {
    DebertaV2Config::from_json(j, "cfg.json");
    ADD_FAILURE() << "accepted " << j.dump();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel);
    EXPECT_NE(e.message().find("cfg.json"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("\"" + key + "\""), std::string::npos) << e.message();
  }
}

TEST(DebertaV2Config, ReadsV3SettingsAndRefusesWhatItDoesNotCompute) {
  auto c = DebertaV2Config::from_json(v3_config(), "cfg.json");
  EXPECT_TRUE(c.c2p && c.p2c && c.share_att_key && c.norm_rel_ebd);
  EXPECT_EQ(c.attention_span(), 8);
  EXPECT_EQ(c.scale_factor(), 3);
  EXPECT_EQ(c.type_vocab_size, 0);

  auto with = [](const char* key, nlohmann::json v) {
    auto j = v3_config();
    j[key] = std::move(v);
    return j;
  };
  expect_refused(with("conv_kernel_size", 3), "conv_kernel_size");
  expect_refused(with("pos_att_type", nlohmann::json::array({"p2c", "p2p"})), "pos_att_type");
  expect_refused(with("norm_rel_ebd", "batch_norm"), "norm_rel_ebd");
  expect_refused(with("embedding_size", 16), "embedding_size");
  expect_refused(with("model_type", "bert"), "model_type");
  expect_refused(with("hidden_act", "mish"), "hidden_act");
  expect_refused(with("hidden_size", 30), "hidden_size");
}

// The relative distances' buckets, computed by hand from HF's make_log_bucket_position formula
// for bucket_size 8 (mid 4), max_position 64: |d| < 4 stays; beyond, ceil(log(|d| / 4) /
// log(63 / 4) * 3) + 4 with the sign of d.
TEST(DebertaV2Config, RelativePositionsAreLogBucketedBeyondHalfTheBuckets) {
  at::Tensor rel = model::deberta_relative_positions(40, 8, 64, c10::Device(c10::kCPU));
  ASSERT_EQ(rel.sizes(), (std::vector<int64_t>{40, 40}));
  auto at_distance = [&](int64_t d) {
    return d >= 0 ? rel[d][0].item<int64_t>() : rel[0][-d].item<int64_t>();
  };
  for (int64_t d = -4; d <= 4; ++d) EXPECT_EQ(at_distance(d), d);
  // log(63 / 4) = 2.7568.
  EXPECT_EQ(at_distance(5), 5);     // ceil(3 * log(5 / 4) / 2.7568) = ceil(0.243) = 1
  EXPECT_EQ(at_distance(9), 5);     // ceil(3 * log(9 / 4) / 2.7568) = ceil(0.882) = 1
  EXPECT_EQ(at_distance(16), 6);    // ceil(3 * log(16 / 4) / 2.7568) = ceil(1.508) = 2
  EXPECT_EQ(at_distance(-39), -7);  // ceil(3 * log(39 / 4) / 2.7568) = ceil(2.478) = 3
  EXPECT_EQ(at_distance(39), 7);
}

// int8 reaches DeBERTa's own linear maps (query/key/value_proj, the attention output, the
// feed-forward and the ContextPooler's dense; DeBERTa-v2's separate pos_key/pos_query_proj),
// leaves the classifier in fp32 and stays close to the fp32 logits.
TEST(DebertaV2Int8, LinearsArePackedAndCloseToFp32) {
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  for (const std::string variant : {"deberta-v3", "deberta-v2"}) {
    TempDir tmp;
    const std::string dir = make_family_model(variant, (tmp / "hf").string(), 3, 35);
    auto loaded = model::load_classifier(dir);
    auto b = make_family_batch({30, 9, 17}, 23, 3);
    at::NoGradGuard no_grad;
    const at::Tensor want = loaded.model->forward(b.ids, b.mask, b.types).logits;
    const int packed = model::quantize_linears_int8(*loaded.model, loaded.model->head_prefixes());
    // 2 layers x (query, key, value, attention output, intermediate, output) + pooler.dense,
    // and v2's 2 layers x (pos_key_proj, pos_query_proj).
    EXPECT_EQ(packed, 2 * 6 + 1 + (variant == "deberta-v2" ? 2 * 2 : 0)) << variant;
    const at::Tensor got = loaded.model->forward(b.ids, b.mask, b.types).logits;
    const double rel = ((got - want).norm() / want.norm()).item<double>();
    std::cout << variant << " int8 vs fp32 logits: relative error " << rel << std::endl;
    EXPECT_FALSE(at::equal(got, want)) << variant;  // the int8 kernels ran
    EXPECT_LT(rel, 0.05) << variant;
  }
}

}  // namespace
}  // namespace berth::test
