#include "model/bert_config.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

using model::BertConfig;
using nlohmann::json;

json minimal() {
  return {{"model_type", "bert"},         {"hidden_size", 8},        {"num_hidden_layers", 2},
          {"num_attention_heads", 2},     {"intermediate_size", 16}, {"vocab_size", 100},
          {"max_position_embeddings", 32}};
}

// Parses `j` and returns the error's text, or "" when it parses.
std::string error_of(const json& j) {
  try {
    BertConfig::from_json(j, "dir/config.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel);
    EXPECT_EQ(e.component(), "model");
    return e.what();
  }
  return "";
}

TEST(BertConfig, ReadsTheDefaultModel) {
  auto c = BertConfig::from_file((default_model() / "config.json").string());
  EXPECT_EQ(c.hidden_size, 384);
  EXPECT_EQ(c.num_hidden_layers, 6);
  EXPECT_EQ(c.num_attention_heads, 12);
  EXPECT_EQ(c.head_dim(), 32);
  EXPECT_EQ(c.intermediate_size, 1536);
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.activation, model::Activation::kGelu);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  EXPECT_FALSE(c.classifier_dropout.has_value());
  EXPECT_DOUBLE_EQ(c.effective_classifier_dropout(), 0.1);
  EXPECT_TRUE(c.label_names.empty());
  EXPECT_EQ(c.num_labels(), 2);  // HF's default when id2label is absent
}

TEST(BertConfig, ActivationsAndDropouts) {
  auto j = minimal();
  j["hidden_act"] = "gelu_new";
  j["classifier_dropout"] = 0.25;
  auto c = BertConfig::from_json(j, "x");
  EXPECT_EQ(c.activation, model::Activation::kGeluTanh);
  EXPECT_DOUBLE_EQ(c.effective_classifier_dropout(), 0.25);
  j["hidden_act"] = "gelu_pytorch_tanh";
  EXPECT_EQ(BertConfig::from_json(j, "x").activation, model::Activation::kGeluTanh);
  j["hidden_act"] = "relu";
  EXPECT_EQ(BertConfig::from_json(j, "x").activation, model::Activation::kRelu);
}

TEST(BertConfig, LabelsRoundTripThroughToJson) {
  auto j = minimal();
  j["id2label"] = {{"1", "pos"}, {"0", "neg"}};
  j["label2id"] = {{"neg", 0}, {"pos", 1}};
  j["problem_type"] = "single_label_classification";
  j["_name_or_path"] = "somewhere";
  j["use_cache"] = true;
  auto c = BertConfig::from_json(j, "x");
  EXPECT_EQ(c.label_names, (std::vector<std::string>{"neg", "pos"}));
  auto out = c.to_json();
  EXPECT_EQ(out["architectures"], json::array({"BertForSequenceClassification"}));
  EXPECT_EQ(out["id2label"], json({{"0", "neg"}, {"1", "pos"}}));
  EXPECT_EQ(out["label2id"], json({{"neg", 0}, {"pos", 1}}));
  EXPECT_EQ(out["problem_type"], "single_label_classification");
  EXPECT_TRUE(out["classifier_dropout"].is_null());
  EXPECT_FALSE(out.contains("_name_or_path"));
  EXPECT_EQ(out["use_cache"], true);  // unmodelled keys survive
  auto back = BertConfig::from_json(out, "y");
  EXPECT_EQ(back.label_names, c.label_names);
  EXPECT_EQ(back.hidden_size, 8);
}

// problem_type is parsed once, where config.json is read, and written back in transformers'
// names; null stays null (HF then decides from num_labels and the label dtype).
TEST(BertConfig, ProblemTypeIsAnEnumWrittenBackInTransformersNames) {
  for (auto [name, type] : {std::pair{"single_label_classification", ProblemType::kSingleLabel},
                            {"multi_label_classification", ProblemType::kMultiLabel},
                            {"regression", ProblemType::kRegression}}) {
    auto j = minimal();
    j["problem_type"] = name;
    auto c = BertConfig::from_json(j, "x");
    EXPECT_EQ(c.problem_type, type) << name;
    EXPECT_EQ(c.to_json()["problem_type"], name);
  }
  auto j = minimal();
  auto c = BertConfig::from_json(j, "x");
  EXPECT_FALSE(c.problem_type.has_value());
  EXPECT_TRUE(c.to_json()["problem_type"].is_null());
  j["problem_type"] = nullptr;
  EXPECT_FALSE(BertConfig::from_json(j, "x").problem_type.has_value());
}

TEST(BertConfig, NumLabelsWithoutId2Label) {
  auto j = minimal();
  j["num_labels"] = 3;
  EXPECT_EQ(BertConfig::from_json(j, "x").label_names,
            (std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2"}));
}

TEST(BertConfig, RejectsUnsupportedSettingsNamingFileAndKey) {
  struct Case {
    const char* key;
    json value;
    const char* expect;
  };
  std::vector<Case> cases = {
      {"model_type", "gpt2", "\"model_type\": \"gpt2\" is not supported"},
      {"position_embedding_type", "relative_key", "\"position_embedding_type\""},
      {"is_decoder", true, "\"is_decoder\""},
      {"hidden_size", 9, "not divisible by num_attention_heads"},
      {"hidden_act", "mish", "unsupported activation \"mish\""},
      {"hidden_dropout_prob", 1.5, "\"hidden_dropout_prob\""},
      {"num_hidden_layers", 0, "must be positive"},
      {"hidden_size", "big", "expected an integer"},
      {"id2label", json({{"0", "a"}, {"2", "c"}}), "id 1 is missing"},
      {"problem_type", "ranking", "unknown problem type"},
  };
  for (auto& c : cases) {
    auto j = minimal();
    j[c.key] = c.value;
    std::string err = error_of(j);
    EXPECT_NE(err.find("dir/config.json"), std::string::npos) << c.key << ": " << err;
    EXPECT_NE(err.find(c.key), std::string::npos) << err;
    EXPECT_NE(err.find(c.expect), std::string::npos) << c.key << ": " << err;
  }
  auto j = minimal();
  j.erase("model_type");
  EXPECT_NE(error_of(j).find("model_type"), std::string::npos);
}

TEST(BertConfig, UnreadableFile) {
  TempDir tmp;
  EXPECT_THROW(BertConfig::from_file((tmp / "config.json").string()), Error);
  write_file(tmp / "config.json", "{not json");
  try {
    BertConfig::from_file((tmp / "config.json").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos);
  }
}

}  // namespace
}  // namespace berth::test
