// Shared by the parity tests of the encoder families beyond BERT (deberta_v2_parity_test.cpp,
// modernbert_parity_test.cpp): tiny random models made by transformers
// (tests/python/make_deberta_modernbert.py), token batches within their small vocabularies, the
// comparison of outputs and of every parameter's gradient with transformers', and the two checks
// each family runs: parity on its variants, and a Berth save that transformers loads.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "model/pretrained.h"
#include "model/sequence_classifier.h"
#include "tests/model/model_test_util.h"

namespace berth::test {

constexpr double kFamilyOutputTol = 1e-5;    // max abs difference, fp32
constexpr double kFamilyGradientTol = 1e-4;  // max relative difference, fp32

// The tiny models' vocabularies have 500 entries: 0 pads, 1 opens ([CLS]), 2 closes ([SEP]).
inline TokenBatch make_family_batch(const std::vector<int64_t>& lengths, uint64_t seed,
                                    int64_t num_labels) {
  std::mt19937_64 rng(seed);
  const int64_t seq = *std::max_element(lengths.begin(), lengths.end());
  const int64_t n = static_cast<int64_t>(lengths.size());
  TokenBatch b;
  b.ids = at::zeros({n, seq}, at::kLong);
  b.mask = at::zeros({n, seq}, at::kLong);
  b.types = at::zeros({n, seq}, at::kLong);
  std::uniform_int_distribution<int64_t> word(3, 499), label(0, num_labels - 1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = lengths[i], second = len > 4 ? len / 2 : len;
    for (int64_t t = 0; t < len; ++t) {
      b.ids[i][t] = t == 0 ? 1 : (t == len - 1 || t == second - 1) ? 2 : word(rng);
      b.mask[i][t] = 1;
      b.types[i][t] = t >= second ? 1 : 0;
    }
  }
  b.labels = at::zeros({n}, at::kLong);
  for (int64_t i = 0; i < n; ++i) b.labels[i] = label(rng);
  return b;
}

// A batch as the oracle's JSON; token types only for models that have them.
inline nlohmann::json family_batch_json(const TokenBatch& b, bool with_types, bool with_labels) {
  nlohmann::json j = {{"input_ids", tensor_to_json(b.ids)},
                      {"attention_mask", tensor_to_json(b.mask)}};
  if (with_types) j["token_type_ids"] = tensor_to_json(b.types);
  if (with_labels) j["labels"] = tensor_to_json(b.labels);
  return j;
}

inline std::string make_family_model(const std::string& variant, const std::string& dir,
                                     int64_t num_labels, int64_t seed) {
  run_python("make_deberta_modernbert.py create " + variant + " '" + dir + "' " +
             std::to_string(num_labels) + " " + std::to_string(seed));
  return dir;
}

// Runs transformers' AutoModelForSequenceClassification on the batches.
inline OracleResult run_family_oracle(const std::string& model_dir,
                                      const std::vector<nlohmann::json>& batches) {
  return run_python_oracle("make_deberta_modernbert.py", model_dir, batches);
}

// Outputs of one batch (eval mode) against the oracle's: the last hidden state at every
// position (padding included), what the classifier's dropout reads, and the logits.
inline void expect_family_outputs_match(const model::ClassifierOutput& out,
                                        const OracleResult& oracle, int batch, double tol,
                                        const std::string& what) {
  double d_hidden = max_abs_diff(out.last_hidden, oracle.get(batch, "last_hidden"));
  double d_pooled = max_abs_diff(out.pooled, oracle.get(batch, "pooled"));
  double d_logits = max_abs_diff(out.logits, oracle.get(batch, "logits"));
  std::cout << what << " batch " << batch << " " << out.last_hidden.sizes()
            << ": max abs diff last_hidden " << d_hidden << ", pooled " << d_pooled << ", logits "
            << d_logits << std::endl;
  EXPECT_LE(d_hidden, tol) << what << " batch " << batch;
  EXPECT_LE(d_pooled, tol) << what << " batch " << batch;
  EXPECT_LE(d_logits, tol) << what << " batch " << batch;
  // Not a vacuous comparison: both sides all zeros, or one logit row repeated.
  EXPECT_GT(out.logits.std().item<double>(), 1e-3) << what;
}

// Every parameter's gradient against the oracle's, relative to the largest element of the
// oracle's. A parameter whose whole gradient is below 1e-3 of the model's largest one (a bias
// that softmax cancels, the padding row of an embedding) is measured on that model-wide scale
// instead, where its own would only scale rounding noise up.
inline void expect_gradients_match(torch::nn::Module& model, const OracleResult& oracle, int batch,
                                   double tol, const std::string& what) {
  auto params = model.named_parameters();
  double model_scale = 0;
  for (auto& p : params) {
    const std::string key = "b" + std::to_string(batch) + ".grad." + p.key();
    ASSERT_TRUE(oracle.tensors->contains(key)) << "the oracle has no gradient for " << p.key();
    model_scale =
        std::max(model_scale, oracle.get(batch, "grad." + p.key()).abs().max().item<double>());
  }
  ASSERT_GT(model_scale, 0.0);
  double worst = 0;
  std::string worst_name;
  for (auto& p : params) {
    at::Tensor g = p.value().grad();
    ASSERT_TRUE(g.defined()) << what << ": no gradient for " << p.key();
    at::Tensor ref = oracle.get(batch, "grad." + p.key());
    double scale = std::max(ref.abs().max().item<double>(), 1e-3 * model_scale);
    double rel = max_abs_diff(g, ref) / scale;
    EXPECT_LE(rel, tol) << what << ": gradient of " << p.key() << " batch " << batch;
    if (rel > worst) worst = rel, worst_name = p.key();
  }
  std::cout << what << " batch " << batch << ": " << params.size()
            << " gradients, worst relative diff " << worst << " (" << worst_name << ")"
            << std::endl;
}

// What one family variant's parity check runs on.
struct FamilyParityCase {
  std::string variant;              // make_deberta_modernbert.py's model variant
  int64_t seed = 0;                 // of the tiny model
  std::vector<TokenBatch> batches;  // 3 labels
  bool token_types = false;         // whether the model takes token types
  std::string attention;            // transformers' attention implementation on CPU
  std::string hf_class;             // transformers' class for the model
};

// A tiny 3-label model of the variant against transformers: the outputs of every batch in eval
// mode, and the loss and every parameter's gradient in training mode (every dropout of the tiny
// models is 0), the path fine-tuning takes.
inline void check_family_parity(const FamilyParityCase& c) {
  TempDir tmp;
  const std::string dir = make_family_model(c.variant, (tmp / "hf").string(), 3, c.seed);
  auto loaded = model::load_classifier(dir, model::LoadOptions{}, c10::Device(c10::kCPU));
  EXPECT_TRUE(loaded.newly_initialised.empty());
  ASSERT_EQ(loaded.model->num_labels(), 3);
  std::vector<nlohmann::json> js;
  for (auto& b : c.batches) js.push_back(family_batch_json(b, c.token_types, true));
  auto oracle = run_family_oracle(dir, js);
  expect_clean_hf_load(oracle, c.attention);
  EXPECT_EQ(oracle.info["class"], c.hf_class);
  EXPECT_EQ(oracle.info["parameters"].get<size_t>(), loaded.model->parameters().size());

  auto& m = *loaded.model;
  for (size_t i = 0; i < c.batches.size(); ++i) {
    auto& b = c.batches[i];
    at::Tensor types = c.token_types ? b.types : at::Tensor();
    {
      at::NoGradGuard no_grad;
      m.eval();
      expect_family_outputs_match(m.forward(b.ids, b.mask, types), oracle, i, kFamilyOutputTol,
                                  c.variant);
    }
    m.train();
    m.zero_grad();
    auto out = m.forward(b.ids, b.mask, types);
    auto loss = at::cross_entropy_loss(out.logits, b.labels);
    loss.backward();
    double d_loss = max_abs_diff(loss.reshape({1}), oracle.get(i, "loss"));
    std::cout << c.variant << " batch " << i << ": loss " << loss.item<double>() << ", diff "
              << d_loss << std::endl;
    EXPECT_LE(d_loss, kFamilyOutputTol);
    expect_gradients_match(m, oracle, i, kFamilyGradientTol, c.variant);
  }
}

// Berth -> transformers: a 4-label head replacing the stored 3-label one of a tiny `variant`
// model (seeded `seed`), saved by Berth, loads in AutoModelForSequenceClassification without a
// missing or unexpected key, with Berth's labels and logits on `b` (no token types); Berth reads
// its own save back bit for bit.
inline void check_berth_save_loads_in_transformers(const std::string& variant, int64_t seed,
                                                   const TokenBatch& b,
                                                   const std::string& attention) {
  TempDir tmp;
  const std::string dir = make_family_model(variant, (tmp / "hf").string(), 3, seed);
  model::LoadOptions o;
  o.num_labels = 4;
  o.init_seed = 7;
  auto loaded = model::load_classifier(dir, o, c10::Device(c10::kCPU));
  EXPECT_EQ(loaded.newly_initialised,
            (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  const std::vector<std::string> labels = {"a", "b", "c", "d"};
  const std::string saved = (tmp / "berth").string();
  model::save_pretrained(saved, *loaded.model, loaded.config, labels, dir);

  auto oracle = run_family_oracle(saved, {family_batch_json(b, false, false)});
  expect_clean_hf_load(oracle, attention);
  EXPECT_EQ(oracle.info["num_labels"], 4);
  EXPECT_EQ(oracle.info["id2label"],
            nlohmann::json({{"0", "a"}, {"1", "b"}, {"2", "c"}, {"3", "d"}}));
  {
    at::NoGradGuard no_grad;
    auto out = loaded.model->forward(b.ids, b.mask, {});
    expect_family_outputs_match(out, oracle, 0, kFamilyOutputTol, "berth->hf");
  }
  expect_save_reads_back(saved, labels, *loaded.model, b, at::Tensor());
}

}  // namespace berth::test
