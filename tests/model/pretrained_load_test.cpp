// load_classifier / save_pretrained on small synthetic model directories: key mapping, missing and
// unexpected weights, and every way a directory can be unusable.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "common/error.h"
#include "model/pretrained.h"
#include "model/safetensors.h"
#include "tests/model/model_test_util.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using model::load_classifier;
using nlohmann::json;

json tiny_config() {
  return {{"model_type", "bert"},   {"architectures", {"BertModel"}}, {"hidden_size", 8},
          {"num_hidden_layers", 2}, {"num_attention_heads", 2},       {"intermediate_size", 16},
          {"vocab_size", 40000},    {"max_position_embeddings", 32},  {"type_vocab_size", 2},
          {"hidden_act", "gelu"},   {"initializer_range", 0.5},       {"layer_norm_eps", 1e-12}};
}

// A saved 2-label tiny classifier in dir; returns the model that was saved.
std::shared_ptr<model::BertClassifier> save_tiny(const fs::path& dir) {
  auto config = model::BertConfig::from_json(tiny_config(), "tiny");
  auto m = std::make_shared<model::BertClassifier>(config, 2);
  model::save_pretrained(dir.string(), *m, config, {"no", "yes"}, default_model().string());
  return m;
}

// Rewrites dir/model.safetensors through `edit` (name → tensor, in file order).
void edit_weights(
    const fs::path& dir,
    const std::function<void(std::vector<std::pair<std::string, at::Tensor>>&)>& edit) {
  std::vector<std::pair<std::string, at::Tensor>> t;
  {
    model::SafetensorsFile f((dir / "model.safetensors").string());
    for (auto& e : f.entries()) t.emplace_back(e.name, f.load(e.name));
  }
  edit(t);
  model::write_safetensors((dir / "model.safetensors").string(), t);
}

std::string load_error(const fs::path& dir) {
  try {
    load_classifier(dir.string());
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "loading " << dir << " did not fail";
  return "";
}

at::Tensor logits_of(model::SequenceClassifier& m) {
  at::NoGradGuard no_grad;
  m.eval();
  auto b = make_batch({12, 5}, 3);
  return m.forward(b.ids, b.mask, b.types).logits;
}

TEST(PretrainedLoad, SavedDirectoryLayout) {
  TempDir tmp;
  save_tiny(tmp / "m");
  for (auto f : {"config.json", "model.safetensors", "vocab.txt", "tokenizer.json",
                 "tokenizer_config.json", "special_tokens_map.json"})
    EXPECT_TRUE(fs::exists(tmp / "m" / f)) << f;
  auto cfg = json::parse(read_file(tmp / "m" / "config.json"));
  EXPECT_EQ(cfg["architectures"], json::array({"BertForSequenceClassification"}));
  EXPECT_EQ(cfg["id2label"], json({{"0", "no"}, {"1", "yes"}}));
  model::SafetensorsFile f((tmp / "m" / "model.safetensors").string());
  EXPECT_TRUE(f.contains("bert.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(f.contains("classifier.weight"));
  EXPECT_EQ(f.metadata().at("format"), "pt");
}

TEST(PretrainedLoad, AcceptsUnprefixedAndGammaBetaNames) {
  TempDir tmp;
  auto original = save_tiny(tmp / "m");
  edit_weights(tmp / "m", [](auto& t) {
    for (auto& [name, v] : t) {
      if (name.rfind("bert.", 0) == 0) name = name.substr(5);
      auto ln = name.find("LayerNorm.");
      if (ln != std::string::npos)
        name = name.substr(0, ln) +
               (name.substr(ln + 10) == "weight" ? "LayerNorm.gamma" : "LayerNorm.beta");
    }
    t.emplace_back("embeddings.position_ids", at::arange(32, at::kFloat));  // old buffer: ignored
    t.emplace_back("cls.predictions.bias", at::zeros({4}));                 // another head: unused
  });
  auto loaded = load_classifier((tmp / "m").string());
  EXPECT_TRUE(loaded.newly_initialised.empty());
  EXPECT_TRUE(at::equal(logits_of(*loaded.model), logits_of(*original)));
}

TEST(PretrainedLoad, MissingHeadAndPoolerAreInitialisedSeeded) {
  TempDir tmp;
  save_tiny(tmp / "m");
  edit_weights(tmp / "m", [](auto& t) {
    t.erase(std::remove_if(t.begin(), t.end(),
                           [](auto& p) {
                             return p.first.rfind("classifier.", 0) == 0 ||
                                    p.first.rfind("bert.pooler.", 0) == 0;
                           }),
            t.end());
  });
  model::LoadOptions o;
  o.init_seed = 5;
  auto a = load_classifier((tmp / "m").string(), o, c10::Device(c10::kCPU));
  auto b = load_classifier((tmp / "m").string(), o, c10::Device(c10::kCPU));
  EXPECT_EQ(a.newly_initialised.size(), 4u);
  EXPECT_TRUE(at::equal(bert_of(a).classifier->weight, bert_of(b).classifier->weight));
  EXPECT_TRUE(at::equal(bert_of(a).classifier->bias, at::zeros({2})));
  // N(0, initializer_range = 0.5)
  double std = bert_of(a).bert->pooler->dense->weight.std().item<double>();
  EXPECT_NEAR(std, 0.5, 0.15);
}

TEST(PretrainedLoad, RequestedNumLabelsReplacesStoredHead) {
  TempDir tmp;
  auto original = save_tiny(tmp / "m");
  auto loaded = load_classifier((tmp / "m").string(), 5);
  EXPECT_EQ(loaded.model->num_labels(), 5);
  EXPECT_EQ(loaded.label_names.size(), 5u);
  EXPECT_EQ(loaded.newly_initialised.size(), 2u);
  EXPECT_TRUE(at::equal(bert_of(loaded).bert->pooler->dense->weight,
                        original->bert->pooler->dense->weight));
  // The stored number needs no re-initialisation.
  EXPECT_TRUE(load_classifier((tmp / "m").string(), 2).newly_initialised.empty());
}

TEST(PretrainedLoad, DirectoryWithoutSafetensors) {
  TempDir tmp;
  fs::create_directories(tmp / "m");
  write_file(tmp / "m" / "config.json", tiny_config().dump());
  write_file(tmp / "m" / "pytorch_model.bin", "pickle");
  std::string e = load_error(tmp / "m");
  EXPECT_NE(e.find("no model.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("found pytorch_model.bin"), std::string::npos) << e;
  EXPECT_NE(e.find("safe_serialization=True"), std::string::npos) << e;
  EXPECT_NE(load_error(tmp / "absent").find("does not exist"), std::string::npos);
}

// What Berth can run, named by every refusal below (model::kSupportedModels).
void expect_says_what_is_supported(const std::string& e) {
  EXPECT_NE(e.find("Berth runs encoders"), std::string::npos) << e;
}

TEST(PretrainedLoad, PytorchBinOnlyAndShardedWeightsAreRefused) {
  TempDir tmp;
  fs::create_directories(tmp / "bin");
  write_file(tmp / "bin" / "config.json", tiny_config().dump());
  write_file(tmp / "bin" / "pytorch_model.bin", "pickle");
  expect_says_what_is_supported(load_error(tmp / "bin"));

  // transformers' sharded layout: an index naming each tensor's shard, no model.safetensors.
  save_tiny(tmp / "sharded");
  fs::rename(tmp / "sharded" / "model.safetensors",
             tmp / "sharded" / "model-00001-of-00001.safetensors");
  write_file(tmp / "sharded" / "model.safetensors.index.json",
             R"({"metadata": {}, "weight_map": {"bert.embeddings.word_embeddings.weight":
                 "model-00001-of-00001.safetensors"}})");
  std::string e = load_error(tmp / "sharded");
  EXPECT_NE(e.find("sharded weights are not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("model.safetensors.index.json"), std::string::npos) << e;
  expect_says_what_is_supported(e);
}

TEST(PretrainedLoad, RegressionCheckpointsAreRefused) {
  TempDir tmp;
  save_tiny(tmp / "m");
  auto cfg = json::parse(read_file(tmp / "m" / "config.json"));
  cfg["problem_type"] = "regression";
  write_file(tmp / "m" / "config.json", cfg.dump());
  std::string e = load_error(tmp / "m");
  EXPECT_NE(e.find("problem_type \"regression\" is not supported"), std::string::npos) << e;
  EXPECT_NE(e.find((tmp / "m" / "config.json").string()), std::string::npos) << e;
  expect_says_what_is_supported(e);
  // Fine-tuning from it would save a config that transformers reads as a regression again.
  model::LoadOptions o;
  o.num_labels = 2;
  EXPECT_THROW(load_classifier((tmp / "m").string(), o, c10::Device(c10::kCPU)), Error);

  // One label and no problem_type: transformers' regression too, unless fine-tuning sets labels.
  cfg.erase("problem_type");
  cfg["id2label"] = {{"0", "score"}};
  cfg["label2id"] = {{"score", 0}};
  write_file(tmp / "m" / "config.json", cfg.dump());
  e = load_error(tmp / "m");
  EXPECT_NE(e.find("one label"), std::string::npos) << e;
  EXPECT_EQ(load_classifier((tmp / "m").string(), o, c10::Device(c10::kCPU)).model->num_labels(),
            2);
}

TEST(PretrainedLoad, ConfigOfAnotherArchitecture) {
  TempDir tmp;
  save_tiny(tmp / "m");
  auto cfg = tiny_config();
  cfg["model_type"] = "gpt2";
  write_file(tmp / "m" / "config.json", cfg.dump());
  std::string e = load_error(tmp / "m");
  EXPECT_NE(e.find((tmp / "m" / "config.json").string()), std::string::npos) << e;
  EXPECT_NE(e.find("model_type"), std::string::npos) << e;
  expect_says_what_is_supported(e);
  cfg = tiny_config();
  cfg["position_embedding_type"] = "relative_key";
  write_file(tmp / "m" / "config.json", cfg.dump());
  EXPECT_NE(load_error(tmp / "m").find("position_embedding_type"), std::string::npos);
}

TEST(PretrainedLoad, TruncatedWeights) {
  TempDir tmp;
  save_tiny(tmp / "m");
  auto p = tmp / "m" / "model.safetensors";
  fs::resize_file(p, fs::file_size(p) / 2);
  std::string e = load_error(tmp / "m");
  EXPECT_NE(e.find(p.string()), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
}

TEST(PretrainedLoad, WrongShapeNamesTensorAndShapes) {
  TempDir tmp;
  save_tiny(tmp / "m");
  edit_weights(tmp / "m", [](auto& t) {
    for (auto& [name, v] : t)
      if (name == "bert.encoder.layer.1.attention.self.key.weight") v = at::zeros({8, 4});
  });
  std::string e = load_error(tmp / "m");
  EXPECT_NE(e.find("\"bert.encoder.layer.1.attention.self.key.weight\" has shape [8, 4]"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("expects [8, 8]"), std::string::npos) << e;
}

TEST(PretrainedLoad, MissingEncoderWeightIsAnError) {
  TempDir tmp;
  save_tiny(tmp / "m");
  edit_weights(tmp / "m", [](auto& t) {
    t.erase(
        std::remove_if(t.begin(), t.end(),
                       [](auto& p) { return p.first == "bert.encoder.layer.0.output.dense.bias"; }),
        t.end());
  });
  std::string e = load_error(tmp / "m");
  EXPECT_NE(e.find("lacks encoder weights: bert.encoder.layer.0.output.dense.bias"),
            std::string::npos)
      << e;
}

TEST(PretrainedLoad, UnsupportedWeightDtype) {
  TempDir tmp;
  save_tiny(tmp / "m");
  // Hand-write the file: the writer only produces F32.
  std::vector<std::pair<std::string, at::Tensor>> t;
  {
    model::SafetensorsFile f((tmp / "m" / "model.safetensors").string());
    for (auto& e : f.entries()) t.emplace_back(e.name, f.load(e.name));
  }
  json header = json::object();
  std::string data;
  for (auto& [name, v] : t) {
    bool as_int = name == "bert.embeddings.LayerNorm.bias";
    at::Tensor c = as_int ? v.to(at::kInt) : v.contiguous();
    header[name] = {{"dtype", as_int ? "I32" : "F32"},
                    {"shape", c.sizes().vec()},
                    {"data_offsets", {data.size(), data.size() + c.nbytes()}}};
    data.append(static_cast<const char*>(c.data_ptr()), c.nbytes());
  }
  std::string h = header.dump();
  std::string len(8, '\0');
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((h.size() >> (8 * i)) & 0xff);
  write_file(tmp / "m" / "model.safetensors", len + h + data);
  std::string e = load_error(tmp / "m");
  EXPECT_NE(e.find("\"bert.embeddings.LayerNorm.bias\" has dtype I32"), std::string::npos) << e;
}

TEST(PretrainedLoad, SaveRejectsWrongLabelCountAndMissingVocab) {
  TempDir tmp;
  auto config = model::BertConfig::from_json(tiny_config(), "tiny");
  model::BertClassifier m(config, 2);
  EXPECT_THROW(
      model::save_pretrained((tmp / "a").string(), m, config, {"one"}, default_model().string()),
      Error);
  EXPECT_THROW(
      model::save_pretrained((tmp / "a").string(), m, config, {"x", "y"}, tmp.path().string()),
      Error);
}

}  // namespace
}  // namespace berth::test
