// Berth's BERT classifier against Hugging Face transformers (tests/python/model_oracle.py):
// parameter names, forward outputs, gradients, and checkpoints going both ways; the multi-label
// loss and its gradients.
#include <gtest/gtest.h>

#include <iostream>

#include "model/classification_loss.h"
#include "model/pretrained.h"
#include "tests/model/model_test_util.h"

namespace berth::test {
namespace {

using model::BertClassifier;
using model::load_classifier;
using model::LoadOptions;
using model::SequenceClassifier;

// A padded batch mixing a full-length (512) sequence with short ones and token types, and an
// unpadded one (HF then passes no mask to SDPA at all).
std::vector<TokenBatch> parity_batches(int64_t num_labels) {
  return {make_batch({512, 9, 130, 2}, 17, num_labels), make_batch({24, 24, 24}, 18, num_labels)};
}

// Relative difference of one parameter's gradient from the oracle's. The attention key bias
// adds one constant to every score of a query, which softmax ignores: its gradient is zero up to
// rounding on both sides, so its own scale is noise; it is measured against the same layer's
// query-weight gradient instead.
double gradient_rel_diff(const at::Tensor& g, OracleResult& oracle, size_t batch,
                         const std::string& name) {
  at::Tensor ref = oracle.get(batch, "grad." + name);
  if (name.find("attention.self.key.bias") == std::string::npos) return max_rel_diff(g, ref);
  const std::string query = "grad." + name.substr(0, name.find("key.bias")) + "query.weight";
  return max_abs_diff(g, ref) / oracle.get(batch, query).abs().max().item<double>();
}

TEST(HfParity, ParameterNamesAndShapesAreHfStateDictKeys) {
  auto r = run_python("model_oracle.py names '" + default_model().string() + "' 3");
  auto hf = nlohmann::json::parse(r.out);
  auto config = model::BertConfig::from_file((default_model() / "config.json").string());
  BertClassifier m(config, 3);
  std::map<std::string, std::vector<int64_t>> ours;
  for (auto& p : m.named_parameters()) ours[p.key()] = p.value().sizes().vec();
  std::map<std::string, std::vector<int64_t>> theirs;
  for (auto& [k, v] : hf.items()) theirs[k] = v.get<std::vector<int64_t>>();
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(m.buffers().size(), 0u);  // nothing HF would not expect in a state_dict
}

// (a) Berth → HF: the default BertModel with a fresh seeded 3-label head, saved by Berth, loaded
// by transformers without any missing/unexpected key, gives Berth's outputs.
TEST(HfParity, BerthSavedCheckpointLoadsInTransformersWithSameLogits) {
  LoadOptions o;
  o.num_labels = 3;
  o.init_seed = 1234;
  auto loaded = load_classifier(default_model().string(), o, c10::Device(c10::kCPU));
  EXPECT_EQ(loaded.newly_initialised,
            (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  TempDir tmp;
  const std::vector<std::string> labels = {"negative", "neutral", "positive"};
  save_pretrained((tmp / "ckpt").string(), *loaded.model, loaded.config, labels,
                  default_model().string());

  auto batches = parity_batches(0);
  std::vector<nlohmann::json> js;
  for (auto& b : batches) js.push_back(batch_to_json(b));
  auto oracle = run_oracle_forward((tmp / "ckpt").string(), js);
  expect_clean_hf_load(oracle, "sdpa");
  EXPECT_EQ(oracle.info["num_labels"], 3);
  EXPECT_EQ(oracle.info["id2label"],
            nlohmann::json({{"0", "negative"}, {"1", "neutral"}, {"2", "positive"}}));
  EXPECT_EQ(oracle.info["tokenizer"], "BertTokenizerFast");
  expect_outputs_match(*loaded.model, batches, oracle, "berth->hf");

  expect_save_reads_back((tmp / "ckpt").string(), labels, *loaded.model, batches[0],
                         batches[0].types);
}

// (b) HF → Berth: transformers builds a 4-label classifier on the default model and saves it;
// Berth loads it and matches HF's outputs, loss and parameter gradients.
TEST(HfParity, TransformersCheckpointLoadsInBerthWithSameLogitsAndGradients) {
  TempDir tmp;
  const std::string dir = (tmp / "hf").string();
  run_python("model_oracle.py create '" + default_model().string() + "' '" + dir + "' 4 11");
  auto loaded = load_classifier(dir);
  ASSERT_EQ(loaded.model->num_labels(), 4);
  EXPECT_TRUE(loaded.newly_initialised.empty());
  EXPECT_EQ(loaded.label_names,
            (std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3"}));

  const std::vector<std::string> grads = {
      "classifier.weight",
      "bert.pooler.dense.weight",
      "bert.encoder.layer.5.output.LayerNorm.weight",
      "bert.encoder.layer.3.intermediate.dense.weight",
      "bert.encoder.layer.0.attention.self.query.weight",
      "bert.encoder.layer.0.attention.self.key.bias",
      "bert.embeddings.position_embeddings.weight",
      "bert.embeddings.word_embeddings.weight",
  };
  auto batches = parity_batches(4);
  std::vector<nlohmann::json> js;
  for (auto& b : batches) js.push_back(batch_to_json(b, grads));
  auto oracle = run_oracle_forward(dir, js);
  expect_clean_hf_load(oracle, "sdpa");
  expect_outputs_match(*loaded.model, batches, oracle, "hf->berth");

  auto params = loaded.model->named_parameters();
  for (size_t i = 0; i < batches.size(); ++i) {
    auto& b = batches[i];
    loaded.model->zero_grad();
    auto out = loaded.model->forward(b.ids, b.mask, b.types);
    auto loss = at::cross_entropy_loss(out.logits, b.labels);
    loss.backward();
    double d_loss = max_abs_diff(loss.reshape({1}), oracle.get(i, "loss"));
    std::cout << "grad batch " << i << ": loss diff " << d_loss;
    EXPECT_LE(d_loss, kParityTol);
    for (auto& name : grads) {
      at::Tensor g = params[name].grad();
      ASSERT_TRUE(g.defined()) << name;
      double rel = gradient_rel_diff(g, oracle, i, name);
      std::cout << ", " << name << " " << rel;
      EXPECT_LE(rel, kParityTol) << "gradient of " << name << " batch " << i;
    }
    std::cout << std::endl;
  }
}

// (c) Multi-label: a Berth checkpoint whose config.json says problem_type =
// multi_label_classification loads in transformers as multi-label, and Berth's training loss
// (model/classification_loss.h, summed then divided by the examples as the trainer does) and
// its gradients equal transformers' own (BCEWithLogitsLoss over batch x labels).
TEST(HfParity, MultiLabelLossAndGradientsMatchTransformers) {
  LoadOptions o;
  o.num_labels = 5;
  o.init_seed = 99;
  auto loaded = load_classifier(default_model().string(), o, c10::Device(c10::kCPU));
  loaded.config.problem_type = ProblemType::kMultiLabel;
  TempDir tmp;
  const std::vector<std::string> labels = {"a", "b", "c", "d", "e"};
  save_pretrained((tmp / "ml").string(), *loaded.model, loaded.config, labels,
                  default_model().string());

  const std::vector<std::string> grads = {
      "classifier.weight",
      "classifier.bias",
      "bert.pooler.dense.weight",
      "bert.encoder.layer.5.output.LayerNorm.weight",
      "bert.encoder.layer.0.attention.self.query.weight",
      "bert.embeddings.word_embeddings.weight",
  };
  // Multi-hot targets: a fixed pattern with empty, single and several-label rows.
  auto batches = parity_batches(0);
  for (size_t i = 0; i < batches.size(); ++i) {
    const int64_t n = batches[i].ids.size(0);
    batches[i].labels = at::zeros({n, 5}, at::kLong);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < 5; ++c)
        if ((r * 3 + c * 2 + static_cast<int64_t>(i)) % 4 == 0) batches[i].labels[r][c] = 1;
  }
  std::vector<nlohmann::json> js;
  for (auto& b : batches) js.push_back(batch_to_json(b, grads));
  auto oracle = run_oracle_forward((tmp / "ml").string(), js);
  expect_clean_hf_load(oracle, "sdpa");
  EXPECT_EQ(oracle.info["problem_type"], "multi_label_classification");
  expect_outputs_match(*loaded.model, batches, oracle, "multi-label");

  auto again = load_classifier((tmp / "ml").string());
  auto params = again.model->named_parameters();
  for (size_t i = 0; i < batches.size(); ++i) {
    auto& b = batches[i];
    again.model->zero_grad();
    auto out = again.model->forward(b.ids, b.mask, b.types);
    auto loss = model::classification_loss_sum(out.logits, b.labels, ProblemType::kMultiLabel, {}) /
                static_cast<double>(b.ids.size(0));
    loss.backward();
    double d_loss = max_abs_diff(loss.reshape({1}), oracle.get(i, "loss"));
    std::cout << "multi-label batch " << i << ": loss " << loss.item<double>() << " diff "
              << d_loss;
    EXPECT_LE(d_loss, kParityTol);
    EXPECT_GT(loss.item<double>(), 0.1);  // not a vacuous comparison
    for (auto& name : grads) {
      at::Tensor g = params[name].grad();
      ASSERT_TRUE(g.defined()) << name;
      double rel = gradient_rel_diff(g, oracle, i, name);
      std::cout << ", " << name << " " << rel;
      EXPECT_LE(rel, kParityTol) << "gradient of " << name << " batch " << i;
    }
    std::cout << std::endl;
  }
}

}  // namespace
}  // namespace berth::test
