// Every encoder family beside BERT against transformers (tests/python/family_oracle.py), on a
// tiny random model of the family that transformers builds and saves
// (tests/python/make_family_model.py): logits with padding, the loss and the gradient of every
// parameter, a Berth save that transformers reloads with the same logits, bare base models, the
// multi-label head, int8, and the families that are not implemented yet.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "model/classification_loss.h"
#include "model/classifier_factory.h"
#include "model/int8_linear.h"
#include "model/pretrained.h"
#include "model/safetensors.h"
#include "tests/model/model_test_util.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using model::load_classifier;
using model::LoadOptions;

// A tiny random `family` classifier saved by transformers in dir.
void make_family_model(const fs::path& dir, const std::string& family, int64_t num_labels,
                       const std::string& problem_type = "") {
  run_python("make_family_model.py " + family + " '" + dir.string() + "' '" +
             default_model().string() + "' " + std::to_string(num_labels) + " " + problem_type);
}

// A padded batch with a sequence of the model's full length (128) and an unpadded one, padded
// with the family's pad id; one token type where the family has only one.
std::vector<TokenBatch> family_batches(const model::ModelConfig& c, int64_t num_labels) {
  std::vector<TokenBatch> batches = {make_batch({128, 9, 30, 2}, 17, num_labels),
                                     make_batch({24, 24, 24}, 18, num_labels)};
  for (auto& b : batches) {
    b.ids.masked_fill_(b.mask.eq(0), c.pad_token_id);
    if (c.type_vocab_size < 2) b.types.zero_();
  }
  return batches;
}

OracleResult oracle(const std::string& model_dir, const std::vector<TokenBatch>& batches,
                    const std::string& mode) {
  std::vector<nlohmann::json> js;
  for (auto& b : batches) js.push_back(batch_to_json(b));
  return run_python_oracle("family_oracle.py", model_dir, js, mode);
}

// The gradient of an attention key bias is zero up to rounding on both sides (softmax ignores
// a constant added to all of a query's scores): it is measured against the same layer's key
// weight gradient instead of its own noise.
double gradient_rel_diff(const std::string& name, const at::Tensor& g, const OracleResult& o,
                         size_t batch) {
  const at::Tensor ref = o.get(batch, "grad." + name);
  for (const char* key_bias : {"attention.self.key.bias", "attention.k_lin.bias"}) {
    if (name.find(key_bias) == std::string::npos) continue;
    const std::string weight = name.substr(0, name.size() - 4) + "weight";
    return max_abs_diff(g, ref) / o.get(batch, "grad." + weight).abs().max().item<double>();
  }
  return max_rel_diff(g, ref);
}

// Gradients are sums over the batch in a different order on each side; where their terms cancel
// (the output bias's gradient is the batch mean of softmax - one-hot) fp32 rounding relative to
// the result grows: DistilBERT's classifier.bias reached 1.02e-5 of its largest entry, the other
// parameters of every family stay under 3e-6.
constexpr double kGradientTol = 2e-5;

// The loss (the trainer's: summed, divided by the examples) and every parameter's gradient.
void expect_loss_and_gradients_match(model::SequenceClassifier& m,
                                     const std::vector<TokenBatch>& batches, const OracleResult& o,
                                     ProblemType problem) {
  m.train();
  auto params = m.named_parameters();
  for (size_t i = 0; i < batches.size(); ++i) {
    auto& b = batches[i];
    m.zero_grad();
    auto out = m.forward(b.ids, b.mask, b.types);
    auto loss = model::classification_loss_sum(out.logits, b.labels, problem, {}) /
                static_cast<double>(b.ids.size(0));
    loss.backward();
    const double d_loss = max_abs_diff(loss.reshape({1}), o.get(i, "loss"));
    double worst = 0;
    std::string worst_name;
    int compared = 0;
    for (auto& p : params) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      const double rel = gradient_rel_diff(p.key(), p.value().grad(), o, i);
      EXPECT_LE(rel, kGradientTol) << "gradient of " << p.key() << " batch " << i;
      if (rel > worst) worst = rel, worst_name = p.key();
      ++compared;
    }
    std::cout << "batch " << i << ": loss " << loss.item<double>() << " diff " << d_loss << "; "
              << compared << " gradients, worst relative diff " << worst << " (" << worst_name
              << ")" << std::endl;
    EXPECT_LE(d_loss, kParityTol);
    EXPECT_GT(loss.item<double>(), 0.1);  // not a vacuous comparison
    EXPECT_EQ(compared, static_cast<int>(o.info["num_params"].get<int64_t>()));
  }
  m.eval();
}

class FamilyParity : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Families, FamilyParity,
                         ::testing::Values("roberta", "xlm-roberta", "electra", "distilbert"),
                         [](const auto& info) {
                           std::string n = info.param;
                           n.erase(std::remove(n.begin(), n.end(), '-'), n.end());
                           return n;
                         });

// transformers → Berth: the family's classifier loads without a fresh weight and gives
// transformers' hidden states, logits, loss and gradients.
TEST_P(FamilyParity, TransformersCheckpointGivesSameLogitsLossAndGradients) {
  TempDir tmp;
  const std::string dir = (tmp / "hf").string();
  make_family_model(dir, GetParam(), 3);
  auto loaded = load_classifier(dir);
  EXPECT_EQ(model::model_type_of(loaded.model->family()), GetParam());
  EXPECT_EQ(loaded.model->num_labels(), 3);
  EXPECT_TRUE(loaded.newly_initialised.empty());
  EXPECT_EQ(loaded.label_names, (std::vector<std::string>{"c0", "c1", "c2"}));

  auto batches = family_batches(loaded.config, 3);
  auto o = oracle(dir, batches, "train");
  expect_clean_hf_load(o);
  EXPECT_EQ(o.info["class"], model::sequence_classifier_architecture(loaded.config.family));
  expect_outputs_match(*loaded.model, batches, o, GetParam());
  expect_loss_and_gradients_match(*loaded.model, batches, o, ProblemType::kSingleLabel);
}

// Berth → transformers: a new 2-label head on the family's model, saved by Berth, loads in
// transformers with no missing, unexpected or mismatched key and gives Berth's logits; Berth
// reads its own save back bit for bit.
TEST_P(FamilyParity, BerthSaveReloadsInTransformersWithSameLogits) {
  TempDir tmp;
  make_family_model(tmp / "hf", GetParam(), 3);
  LoadOptions lo;
  lo.num_labels = 2;
  lo.init_seed = 7;
  auto loaded = load_classifier((tmp / "hf").string(), lo, c10::Device(c10::kCPU));
  // Only the tensors whose shape depends on the label count are new (HF's
  // ignore_mismatched_sizes): RoBERTa's and ELECTRA's classifier.dense stays.
  const std::string last = GetParam() == "distilbert" ? "classifier" : "classifier.out_proj";
  EXPECT_EQ(loaded.newly_initialised, (std::vector<std::string>{last + ".weight", last + ".bias"}));

  const std::vector<std::string> labels = {"no", "yes"};
  save_pretrained((tmp / "berth").string(), *loaded.model, loaded.config, labels,
                  (tmp / "hf").string());
  auto saved = nlohmann::json::parse(read_file(tmp / "berth" / "config.json"));
  EXPECT_EQ(saved["model_type"], GetParam());
  if (GetParam() == "distilbert") {  // its own key names, not BERT's
    EXPECT_EQ(saved["dim"], 32);
    EXPECT_FALSE(saved.contains("hidden_size"));
  }

  auto batches = family_batches(loaded.config, 0);
  auto o = oracle((tmp / "berth").string(), batches, "eval");
  expect_clean_hf_load(o);
  EXPECT_EQ(o.info["num_labels"], 2);
  EXPECT_EQ(o.info["id2label"], nlohmann::json({{"0", "no"}, {"1", "yes"}}));
  expect_outputs_match(*loaded.model, batches, o, GetParam() + " berth->hf");

  expect_save_reads_back((tmp / "berth").string(), labels, *loaded.model, batches[0],
                         batches[0].types);
}

// A bare base model (names without the "roberta." prefix, no head) loads with its encoder
// weights and a fresh head.
TEST_P(FamilyParity, BareBaseModelGetsAFreshHead) {
  TempDir tmp;
  make_family_model(tmp / "hf", GetParam(), 3);
  const std::string prefix =
      std::string(model::base_model_prefix(*model::parse_model_family(GetParam()))) + ".";
  std::vector<std::pair<std::string, at::Tensor>> base;
  {
    model::SafetensorsFile f((tmp / "hf" / "model.safetensors").string());
    for (const auto& e : f.entries())
      if (e.name.rfind(prefix, 0) == 0)
        base.emplace_back(e.name.substr(prefix.size()), f.load(e.name));
  }
  ASSERT_GT(base.size(), 10u);
  fs::create_directories(tmp / "bare");
  fs::copy_file(tmp / "hf" / "config.json", tmp / "bare" / "config.json");
  model::write_safetensors((tmp / "bare" / "model.safetensors").string(), base);

  auto full = load_classifier((tmp / "hf").string());
  auto bare = load_classifier((tmp / "bare").string());
  const auto head = bare.model->head_prefixes();
  std::vector<std::string> fresh;
  for (auto& p : bare.model->named_parameters()) {
    bool in_head = false;
    for (auto& h : head) in_head |= p.key().rfind(h + ".", 0) == 0;
    if (in_head)
      fresh.push_back(p.key());
    else
      EXPECT_TRUE(at::equal(p.value(), full.model->named_parameters()[p.key()])) << p.key();
  }
  EXPECT_EQ(bare.newly_initialised, fresh);
}

// Multi-label (problem_type multi_label_classification) on RoBERTa: Berth's BCE loss and its
// gradients equal transformers' own.
TEST(FamilyParityMultiLabel, RobertaLossAndGradientsMatchTransformers) {
  TempDir tmp;
  const std::string dir = (tmp / "ml").string();
  make_family_model(dir, "roberta", 4, "multi_label_classification");
  auto loaded = load_classifier(dir);
  EXPECT_EQ(loaded.config.problem_type, ProblemType::kMultiLabel);
  auto batches = family_batches(loaded.config, 0);
  for (size_t i = 0; i < batches.size(); ++i) {
    const int64_t n = batches[i].ids.size(0);
    batches[i].labels = at::zeros({n, 4}, at::kLong);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < 4; ++c)
        if ((r * 3 + c * 2 + static_cast<int64_t>(i)) % 3 == 0) batches[i].labels[r][c] = 1;
  }
  auto o = oracle(dir, batches, "train");
  expect_clean_hf_load(o);
  EXPECT_EQ(o.info["problem_type"], "multi_label_classification");
  expect_loss_and_gradients_match(*loaded.model, batches, o, ProblemType::kMultiLabel);
}

// int8 reaches a non-BERT family's linear layers (DistilBERT's q/k/v/out_lin and ffn), leaves
// its head in fp32, and stays close to the fp32 logits.
TEST(FamilyInt8, DistilBertLinearsArePackedAndCloseToFp32) {
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  TempDir tmp;
  make_family_model(tmp / "d", "distilbert", 3);
  auto loaded = load_classifier((tmp / "d").string());
  auto batches = family_batches(loaded.config, 0);
  at::NoGradGuard no_grad;
  auto& b = batches[0];
  const at::Tensor want = loaded.model->forward(b.ids, b.mask, b.types).logits;
  const int packed = model::quantize_linears_int8(*loaded.model, loaded.model->head_prefixes());
  EXPECT_EQ(packed, 2 * 6);  // 2 layers x (q, k, v, out_lin, lin1, lin2)
  const at::Tensor got = loaded.model->forward(b.ids, b.mask, b.types).logits;
  const double rel = ((got - want).norm() / want.norm()).item<double>();
  std::cout << "distilbert int8 vs fp32 logits: relative error " << rel << std::endl;
  EXPECT_FALSE(at::equal(got, want));  // the int8 kernels ran
  EXPECT_LT(rel, 0.05);
}

// RoBERTa-family checkpoints have one token type (type_vocab_size 1); a tokenizer that numbers a
// pair's second text 1 (BertProcessing, a template) must not index past that table: the types are
// read as zeros, which is what transformers embeds (RoBERTa's tokenizers give it no types). BERT,
// with two types, still sees them.
TEST(FamilyTokenTypes, OneTypeTableReadsPairTypesAsZeros) {
  TempDir tmp;
  for (const std::string family : {"roberta", "bert"}) {
    make_family_model(tmp / family, family, 3);
    auto loaded = load_classifier((tmp / family).string());
    ASSERT_EQ(loaded.config.type_vocab_size, family == "roberta" ? 1 : 2);
    auto b = make_batch({20, 12, 7}, 19, 3);
    b.ids.masked_fill_(b.mask.eq(0), loaded.config.pad_token_id);
    b.types = at::zeros_like(b.ids);
    b.types.slice(1, 6).fill_(1);  // (batch, seq): a second text from position 6 on
    b.types.masked_fill_(b.mask.eq(0), 0);
    at::NoGradGuard no_grad;
    at::Tensor with_types, zeros;
    ASSERT_NO_THROW(with_types = loaded.model->forward(b.ids, b.mask, b.types).logits) << family;
    zeros = loaded.model->forward(b.ids, b.mask, at::zeros_like(b.types)).logits;
    EXPECT_EQ(at::equal(with_types, zeros), family == "roberta") << family;
  }
}

}  // namespace
}  // namespace berth::test
