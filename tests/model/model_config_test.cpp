// config.json of the families beside BERT (tests/model/bert_config_test.cpp has BERT's): each
// family's key names, defaults and limits, what a save writes back, and the refusals.
#include "model/model_config.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "model/classifier_factory.h"
#include "model/dense_head_classifier.h"
#include "model/distilbert_model.h"

namespace berth::test {
namespace {

using model::ModelConfig;
using model::ModelFamily;
using nlohmann::json;

json bert_like(const std::string& model_type) {
  return {{"model_type", model_type},     {"hidden_size", 8},        {"num_hidden_layers", 2},
          {"num_attention_heads", 2},     {"intermediate_size", 16}, {"vocab_size", 100},
          {"max_position_embeddings", 34}};
}

json distilbert() {
  return {{"model_type", "distilbert"},
          {"dim", 8},
          {"n_layers", 3},
          {"n_heads", 2},
          {"hidden_dim", 16},
          {"vocab_size", 100},
          {"activation", "relu"},
          {"dropout", 0.15},
          {"attention_dropout", 0.05},
          {"seq_classif_dropout", 0.3},
          {"max_position_embeddings", 32}};
}

std::string error_of(const json& j) {
  try {
    ModelConfig::from_json(j, "dir/config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, FamiliesFromModelType) {
  EXPECT_EQ(ModelConfig::from_json(bert_like("bert"), "x").family, ModelFamily::kBert);
  EXPECT_EQ(ModelConfig::from_json(bert_like("roberta"), "x").family, ModelFamily::kRoberta);
  EXPECT_EQ(ModelConfig::from_json(bert_like("xlm-roberta"), "x").family, ModelFamily::kXlmRoberta);
  EXPECT_EQ(ModelConfig::from_json(bert_like("electra"), "x").family, ModelFamily::kElectra);
  EXPECT_EQ(ModelConfig::from_json(distilbert(), "x").family, ModelFamily::kDistilBert);
  std::string e = error_of(bert_like("gpt2"));
  EXPECT_NE(e.find("dir/config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("\"gpt2\" is not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("xlm-roberta"), std::string::npos) << e;  // the hint lists the families
}

TEST(ModelConfig, RobertaPositionsStartAfterThePaddingId) {
  auto c = ModelConfig::from_json(bert_like("roberta"), "x");
  EXPECT_EQ(c.pad_token_id, 1);  // RobertaConfig's default
  EXPECT_EQ(c.max_sequence_length(), 34 - 1 - 1);
  auto j = bert_like("xlm-roberta");
  j["pad_token_id"] = 3;
  EXPECT_EQ(ModelConfig::from_json(j, "x").max_sequence_length(), 34 - 3 - 1);
  EXPECT_EQ(ModelConfig::from_json(bert_like("bert"), "x").max_sequence_length(), 34);
  j["max_position_embeddings"] = 4;
  EXPECT_NE(error_of(j).find("leaves no position"), std::string::npos) << error_of(j);
}

TEST(ModelConfig, ElectraEmbeddingSize) {
  auto j = bert_like("electra");
  EXPECT_EQ(ModelConfig::from_json(j, "x").embedding_size, 128);  // ElectraConfig's default
  j["embedding_size"] = 4;
  auto c = ModelConfig::from_json(j, "x");
  EXPECT_EQ(c.embedding_size, 4);
  EXPECT_EQ(c.to_json()["embedding_size"], 4);
  EXPECT_EQ(ModelConfig::from_json(bert_like("roberta"), "x").embedding_size, 8);
  j["embedding_size"] = 0;
  EXPECT_NE(error_of(j).find("\"embedding_size\""), std::string::npos);
}

TEST(ModelConfig, DistilBertNamesMappedAndWrittenBack) {
  auto c = ModelConfig::from_json(distilbert(), "x");
  EXPECT_EQ(c.hidden_size, 8);
  EXPECT_EQ(c.num_hidden_layers, 3);
  EXPECT_EQ(c.num_attention_heads, 2);
  EXPECT_EQ(c.intermediate_size, 16);
  EXPECT_EQ(c.activation, model::Activation::kRelu);
  EXPECT_DOUBLE_EQ(c.hidden_dropout_prob, 0.15);
  EXPECT_DOUBLE_EQ(c.attention_probs_dropout_prob, 0.05);
  EXPECT_DOUBLE_EQ(c.effective_classifier_dropout(), 0.3);
  EXPECT_EQ(c.type_vocab_size, 0);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);

  json out = c.to_json();
  EXPECT_EQ(out["model_type"], "distilbert");
  EXPECT_EQ(out["architectures"], json::array({"DistilBertForSequenceClassification"}));
  for (const char* k : {"dim", "n_layers", "n_heads", "hidden_dim", "activation", "dropout"})
    EXPECT_TRUE(out.contains(k)) << k;
  for (const char* k : {"hidden_size", "num_hidden_layers", "type_vocab_size", "hidden_act"})
    EXPECT_FALSE(out.contains(k)) << k;
  auto again = ModelConfig::from_json(out, "again");
  EXPECT_EQ(again.hidden_size, 8);
  EXPECT_DOUBLE_EQ(again.seq_classif_dropout, 0.3);

  auto j = distilbert();
  j["n_heads"] = 3;
  std::string e = error_of(j);
  EXPECT_NE(e.find("\"dim\""), std::string::npos) << e;  // the family's own key name
  j = distilbert();
  j["activation"] = "mish";
  EXPECT_NE(error_of(j).find("\"activation\""), std::string::npos) << error_of(j);
}

TEST(ModelConfig, SaveWritesTheFamilysClass) {
  for (auto [type, arch] : {std::pair{"roberta", "RobertaForSequenceClassification"},
                            {"xlm-roberta", "XLMRobertaForSequenceClassification"},
                            {"electra", "ElectraForSequenceClassification"}}) {
    json out = ModelConfig::from_json(bert_like(type), "x").to_json();
    EXPECT_EQ(out["model_type"], type);
    EXPECT_EQ(out["architectures"], json::array({arch}));
  }
}

TEST(MakeClassifier, BuildsEachImplementedFamily) {
  auto roberta = model::make_classifier(ModelConfig::from_json(bert_like("roberta"), "x"), 3);
  EXPECT_EQ(roberta->family(), ModelFamily::kRoberta);
  EXPECT_EQ(roberta->num_labels(), 3);
  EXPECT_NE(dynamic_cast<model::DenseHeadClassifier*>(roberta.get()), nullptr);
  auto j = bert_like("electra");
  j["embedding_size"] = 4;
  auto electra = model::make_classifier(ModelConfig::from_json(j, "x"), 2);
  EXPECT_EQ(electra->word_embedding_weight().size(1), 4);
  auto distil = model::make_classifier(ModelConfig::from_json(distilbert(), "x"), 2);
  EXPECT_NE(dynamic_cast<model::DistilBertClassifier*>(distil.get()), nullptr);
  EXPECT_EQ(distil->head_prefixes(), (std::vector<std::string>{"pre_classifier", "classifier"}));

  // A forward pass of each, with and without padding, gives finite logits of the right shape.
  at::Tensor ids = at::tensor({5, 6, 7, 8, 1, 1}, at::kLong).reshape({2, 3});
  at::Tensor mask = ids.ne(1).to(at::kLong);
  for (auto* m : {roberta.get(), electra.get(), distil.get()}) {
    m->eval();
    auto out = m->forward(ids, mask, {});
    EXPECT_EQ(out.logits.size(0), 2);
    EXPECT_TRUE(out.logits.isfinite().all().item<bool>());
  }
}

// DeBERTa-v2 and ModernBERT read their own keys (model/deberta_v2_config.h,
// model/modernbert_config.h) and get their own classifiers.
TEST(MakeClassifier, BuildsDebertaV2AndModernBert) {
  const nlohmann::json deberta = {
      {"model_type", "deberta-v2"}, {"hidden_size", 32},       {"num_attention_heads", 4},
      {"num_hidden_layers", 1},     {"intermediate_size", 64}, {"vocab_size", 100},
      {"relative_attention", true}, {"position_buckets", 8},   {"pos_att_type", "p2c|c2p"}};
  const nlohmann::json modernbert = {{"model_type", "modernbert"}, {"hidden_size", 32},
                                     {"num_attention_heads", 4},   {"num_hidden_layers", 1},
                                     {"intermediate_size", 48},    {"vocab_size", 100},
                                     {"pad_token_id", 0}};
  for (const auto& j : {deberta, modernbert}) {
    auto c = ModelConfig::from_json(j, "x");
    auto m = model::make_classifier(c, 3);
    EXPECT_EQ(m->family(), c.family);
    EXPECT_EQ(m->num_labels(), 3);
    EXPECT_EQ(c.hidden_size, 32);
  }
}

}  // namespace
}  // namespace berth::test
