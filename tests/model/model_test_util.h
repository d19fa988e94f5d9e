// Shared by the model tests: token-id batches, the Hugging Face oracle (tests/python/
// model_oracle.py) and tensor comparisons.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "model/bert_model.h"
#include "model/pretrained.h"
#include "model/safetensors.h"
#include "tests/support/test_support.h"

namespace berth::test {

struct TokenBatch {
  at::Tensor ids, mask, types;  // (batch, seq) int64
  at::Tensor labels;            // (batch) int64, or undefined
};

// Sequences of the given lengths ([CLS] … [SEP] … [SEP], random word pieces, token type 1 for the
// second segment), right-padded with id 0 to the longest.
inline TokenBatch make_batch(const std::vector<int64_t>& lengths, uint64_t seed,
                             int64_t num_labels = 0) {
  std::mt19937_64 rng(seed);
  int64_t seq = 0;
  for (auto l : lengths) seq = std::max(seq, l);
  const int64_t n = static_cast<int64_t>(lengths.size());
  TokenBatch b;
  b.ids = at::zeros({n, seq}, at::kLong);
  b.mask = at::zeros({n, seq}, at::kLong);
  b.types = at::zeros({n, seq}, at::kLong);
  auto ids = b.ids.accessor<int64_t, 2>();
  auto mask = b.mask.accessor<int64_t, 2>();
  auto types = b.types.accessor<int64_t, 2>();
  std::uniform_int_distribution<int64_t> word(1000, 30000);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = lengths[i];
    const int64_t second = len > 4 ? len / 2 : len;  // where the second segment starts
    for (int64_t t = 0; t < len; ++t) {
      ids[i][t] = t == 0 ? 101 : (t == len - 1 || t == second - 1) ? 102 : word(rng);
      mask[i][t] = 1;
      types[i][t] = t >= second ? 1 : 0;
    }
  }
  if (num_labels > 0) {
    b.labels = at::zeros({n}, at::kLong);
    std::uniform_int_distribution<int64_t> label(0, num_labels - 1);
    for (int64_t i = 0; i < n; ++i) b.labels[i] = label(rng);
  }
  return b;
}

inline nlohmann::json tensor_to_json(const at::Tensor& t) {
  nlohmann::json j = nlohmann::json::array();
  at::Tensor c = t.to(at::kLong).contiguous();
  if (c.dim() == 1) {
    for (int64_t i = 0; i < c.size(0); ++i) j.push_back(c[i].item<int64_t>());
    return j;
  }
  for (int64_t i = 0; i < c.size(0); ++i) {
    auto row = c[i];
    std::vector<int64_t> v(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
    j.push_back(v);
  }
  return j;
}

inline nlohmann::json batch_to_json(const TokenBatch& b,
                                    const std::vector<std::string>& grads = {}) {
  nlohmann::json j = {{"input_ids", tensor_to_json(b.ids)},
                      {"attention_mask", tensor_to_json(b.mask)},
                      {"token_type_ids", tensor_to_json(b.types)}};
  if (b.labels.defined()) {
    j["labels"] = tensor_to_json(b.labels);
    j["grads"] = grads;
  }
  return j;
}

struct OracleResult {
  nlohmann::json info;  // the loading report the oracle prints
  std::unique_ptr<model::SafetensorsFile> tensors;
  at::Tensor get(int batch, const std::string& name) const {
    return tensors->load("b" + std::to_string(batch) + "." + name);
  }
};

// Runs an oracle of tests/python as `<script> forward <model_dir> <in.json> <out.safetensors>
// <extra>` on `batches`: its tensors, and its report (the last line it prints).
inline OracleResult run_python_oracle(const std::string& script, const std::string& model_dir,
                                      const std::vector<nlohmann::json>& batches,
                                      const std::string& extra = "") {
  TempDir tmp;
  write_file(tmp / "in.json", nlohmann::json({{"batches", batches}}).dump());
  auto r = run_python(script + " forward '" + model_dir + "' '" + (tmp / "in.json").string() +
                      "' '" + (tmp / "out.safetensors").string() + "' " + extra);
  OracleResult out;
  // The last stdout line is the JSON report (transformers may print warnings before it).
  std::string text = r.out.substr(0, r.out.find_last_not_of(" \n") + 1);
  auto line_start = text.rfind('\n');
  out.info =
      nlohmann::json::parse(text.substr(line_start == std::string::npos ? 0 : line_start + 1));
  out.tensors = std::make_unique<model::SafetensorsFile>((tmp / "out.safetensors").string());
  return out;
}

// Runs HF BertForSequenceClassification on `batches` (JSON from batch_to_json).
inline OracleResult run_oracle_forward(const std::string& model_dir,
                                       const std::vector<nlohmann::json>& batches) {
  return run_python_oracle("model_oracle.py", model_dir, batches);
}

// transformers loaded the model without a missing, unexpected or mismatched key, with the
// attention implementation `attention` (any when empty).
inline void expect_clean_hf_load(const OracleResult& oracle, const std::string& attention = "") {
  EXPECT_TRUE(oracle.info["missing_keys"].empty()) << oracle.info.dump();
  EXPECT_TRUE(oracle.info["unexpected_keys"].empty()) << oracle.info.dump();
  EXPECT_TRUE(oracle.info["mismatched_keys"].empty()) << oracle.info.dump();
  if (!attention.empty()) EXPECT_EQ(oracle.info["attn_implementation"], attention);
}

// Berth reads its own save (`saved`, written from `model` with `labels`) back bit for bit: no
// fresh weight, the labels saved, the same logits on `b` (`types` undefined: none).
inline void expect_save_reads_back(const std::string& saved, const std::vector<std::string>& labels,
                                   model::SequenceClassifier& model, const TokenBatch& b,
                                   const at::Tensor& types) {
  auto again = model::load_classifier(saved);
  EXPECT_TRUE(again.newly_initialised.empty());
  EXPECT_EQ(again.label_names, labels);
  at::NoGradGuard no_grad;
  EXPECT_TRUE(at::equal(again.model->forward(b.ids, b.mask, types).logits,
                        model.forward(b.ids, b.mask, types).logits));
}

// The BERT classifier behind a load of a BERT checkpoint, for tests that reach into its layers.
inline model::BertClassifier& bert_of(const model::LoadedClassifier& loaded) {
  return dynamic_cast<model::BertClassifier&>(*loaded.model);
}

inline double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30;
  return (a.detach().to(at::kCPU, at::kDouble) - b.detach().to(at::kCPU, at::kDouble))
      .abs()
      .max()
      .item<double>();
}

// max |a - b| relative to max |b|.
inline double max_rel_diff(const at::Tensor& a, const at::Tensor& ref) {
  double scale = ref.detach().abs().max().item<double>();
  return max_abs_diff(a, ref) / (scale > 0 ? scale : 1.0);
}

constexpr double kParityTol = 1e-5;  // max abs difference from transformers, fp32

// Both ways of running the last layer: for the [CLS] position only (the classifiers' default;
// last_hidden is then that position's) and for every position. The pooled output is compared
// where the family has a pooler.
inline void expect_outputs_match(model::SequenceClassifier& m,
                                 const std::vector<TokenBatch>& batches, const OracleResult& oracle,
                                 const std::string& what) {
  at::NoGradGuard no_grad;
  for (size_t k = 0; k < 2 * batches.size(); ++k) {
    const size_t i = k % batches.size();
    const bool cls_only = k < batches.size();
    m.set_last_layer_cls_only(cls_only);
    auto& b = batches[i];
    auto out = m.forward(b.ids, b.mask, b.types);
    at::Tensor ref_hidden = oracle.get(i, "last_hidden");
    if (cls_only) {
      ASSERT_EQ(out.last_hidden.size(1), 1);
      ref_hidden = ref_hidden.narrow(1, 0, 1);
    }
    double d_hidden = max_abs_diff(out.last_hidden, ref_hidden);
    double d_pooled = out.pooled.defined() ? max_abs_diff(out.pooled, oracle.get(i, "pooled")) : 0;
    double d_logits = max_abs_diff(out.logits, oracle.get(i, "logits"));
    std::cout << what << " batch " << i << " " << b.ids.sizes()
              << (cls_only ? " [CLS]-only last layer" : " full last layer")
              << ": max abs diff last_hidden " << d_hidden << ", pooled " << d_pooled << ", logits "
              << d_logits << std::endl;
    EXPECT_LE(d_hidden, kParityTol) << what << " batch " << i;
    EXPECT_LE(d_pooled, kParityTol) << what << " batch " << i;
    EXPECT_LE(d_logits, kParityTol) << what << " batch " << i;
    // Guard against a vacuous comparison (e.g. both sides all zeros).
    EXPECT_GT(out.logits.abs().max().item<double>(), 1e-3);
    if (out.pooled.defined()) EXPECT_GT(out.pooled.std().item<double>(), 1e-2);
  }
  m.set_last_layer_cls_only(true);
}

}  // namespace berth::test
