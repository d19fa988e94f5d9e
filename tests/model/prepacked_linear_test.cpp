// The CPU inference paths that pack weights once at load (issue 27): fp32 Linear weights
// prepacked for oneDNN, with GELU as the feed-forward GEMM's post-op (model/onednn_linear.h),
// against the fp32 path they replace (q/k/v concatenated, at::linear, at::gelu); and int8 on
// oneDNN's engine (model/int8_linear.h) against fbgemm and fp32.
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "common/cpu_features.h"
#include "model/bert_layers.h"
#include "model/int8_linear.h"
#include "model/onednn_linear.h"
#include "model/pretrained.h"
#include "tests/model/model_test_util.h"
#include "tests/support/seeded_classifier.h"

namespace berth::test {
namespace {

struct Inputs {
  at::Tensor ids, mask;  // (batch, seq)
};

// Two batch shapes (the packed weights must not depend on the rows) and a padded row.
std::vector<Inputs> inputs() {
  at::manual_seed(5);
  std::vector<Inputs> out;
  for (auto [batch, seq] : {std::pair<int64_t, int64_t>{3, 17}, {1, 40}}) {
    Inputs in{at::randint(1000, 2000, {batch, seq}), {}};
    in.mask = at::ones_like(in.ids);
    if (batch > 1) in.mask.index_put_({batch - 1, at::indexing::Slice(9)}, 0);
    out.push_back(in);
  }
  return out;
}

double relative_error(const at::Tensor& got, const at::Tensor& want) {
  return ((got - want).norm() / want.norm()).item<double>();
}

TEST(OnednnLinear, OneLinearMatchesAtLinearWithAndWithoutGelu) {
  if (!model::onednn_linear_supported()) GTEST_SKIP() << "no oneDNN in this LibTorch";
  at::manual_seed(3);
  const at::Tensor w = at::randn({96, 384}) * 0.05;
  const at::Tensor b = at::randn({96}) * 0.1;
  c10::InferenceMode inference;
  for (int64_t rows : {1, 7, 64}) {
    const at::Tensor x = at::randn({2, rows, 384});  // (batch, seq, in)
    const at::Tensor want = at::linear(x, w, b);
    const at::Tensor got = model::pack_onednn_linear(w, b)->forward(x);
    ASSERT_EQ(got.sizes(), want.sizes());
    // fp32 GEMMs of other blockings: the sums differ in their last bits only.
    EXPECT_LT((got - want).abs().max().item<double>(), 1e-5) << rows;
    const at::Tensor gelu = model::pack_onednn_linear(w, b, model::LinearPostOp::kGelu)->forward(x);
    EXPECT_LT((gelu - at::gelu(want)).abs().max().item<double>(), 1e-5) << rows;
  }
}

TEST(OnednnLinear, ClassifierLogitsMatchTheFp32Path) {
  if (!model::onednn_linear_supported()) GTEST_SKIP() << "no oneDNN in this LibTorch";
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/11, /*scale=*/20);
  auto plain = model::load_classifier(model_dir);
  auto packed = model::load_classifier(model_dir);
  model::OnednnPrepack how;
  how.release_fp32_weights = true;
  const int n = model::prepack_linears_onednn(*packed.model, {}, how);
  // Per layer: q/k/v concatenated, the attention output, the feed-forward pair; then the pooler
  // and the head.
  const int64_t layers = packed.config.num_hidden_layers;
  EXPECT_EQ(n, layers * 4 + 2);
  int released = 0;
  for (auto& m : packed.model->modules(false))
    if (auto* d = dynamic_cast<model::Dense*>(m.get())) released += d->weight.numel() == 0;
  EXPECT_EQ(released, n - layers);  // all but q, k and v, which the [CLS]-only layer reads
  int fused = 0;
  for (auto& m : packed.model->modules(false))
    if (auto* f = dynamic_cast<model::BertIntermediate*>(m.get())) fused += f->activation_in_dense;
  EXPECT_EQ(fused, layers);
  c10::InferenceMode inference;
  for (const auto& in : inputs()) {
    const at::Tensor want =
        plain.model->forward(in.ids, in.mask, at::zeros_like(in.ids)).logits;  // (batch, labels)
    const at::Tensor got = packed.model->forward(in.ids, in.mask, at::zeros_like(in.ids)).logits;
    ASSERT_EQ(got.sizes(), want.sizes());
    const double rel = relative_error(got, want);
    std::cout << "oneDNN-packed fp32 vs fp32 logits: relative error " << rel << std::endl;
    EXPECT_LT(rel, 1e-5);
  }
}

TEST(Int8Onednn, FusedQkvSameAsSeparateAndCloseToFp32) {
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/11, /*scale=*/20);
  auto fp32 = model::load_classifier(model_dir);
  auto separate = model::load_classifier(model_dir);
  auto fused = model::load_classifier(model_dir);
  auto fbgemm = model::load_classifier(model_dir);
  const auto onednn = model::Int8Engine::kOnednn;
  for (auto* l : {&separate, &fused})
    model::quantize_linears_int8(*l->model, l->model->head_prefixes(), onednn);
  EXPECT_EQ(model::fuse_int8_qkv(*fused.model, onednn), fused.config.num_hidden_layers);
  model::Int8Kernels fbgemm7(model::Int8Engine::kFbgemm);  // 7-bit, as on CPUs without VNNI
  fbgemm7.fbgemm_reduce_range = true;
  fbgemm7.vnni_kernel = false;  // fbgemm itself, not Berth's VNNI kernel in its place
  model::quantize_linears_int8(*fbgemm.model, fbgemm.model->head_prefixes(), fbgemm7);
  model::fuse_int8_qkv(*fbgemm.model, fbgemm7);
  c10::InferenceMode inference;
  for (const auto& in : inputs()) {
    auto logits = [&](model::LoadedClassifier& l) {
      return l.model->forward(in.ids, in.mask, at::zeros_like(in.ids)).logits;  // (batch, labels)
    };
    const at::Tensor want = logits(fp32), got = logits(fused), fb = logits(fbgemm);
    // One activation range for q, k and v either way, and exact int32 sums.
    EXPECT_LT((got - logits(separate)).abs().max().item<double>(), 1e-5);
    // 8-bit activations on oneDNN against fbgemm's 7-bit ones: at least as close to fp32
    // (with a margin for the luck of one draw). The seeded model's logits are small and its
    // weights random, so both errors are large here (0.1 to 0.5); int8's accuracy on a trained
    // model is Int8Predictor.AgreesWithFp32OnASmallSet's and BENCHMARKS.md's.
    const double rel = relative_error(got, want), rel_fbgemm = relative_error(fb, want);
    std::cout << "int8 vs fp32 logits: oneDNN relative error " << rel << ", fbgemm " << rel_fbgemm
              << std::endl;
    EXPECT_FALSE(at::equal(got, want));  // the int8 kernels ran
    EXPECT_LT(rel, 1.5 * rel_fbgemm);
  }
}

// kMixed: the small-row kernel's result for a GEMM of few rows (a batch-1 text: Berth's VNNI
// kernel where the CPU has VNNI, else fbgemm), oneDNN's from the threshold.
TEST(Int8Onednn, MixedPicksTheEngineByRows) {
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  at::manual_seed(3);
  const at::Tensor w = at::randn({96, 384}) * 0.05;
  const at::Tensor b = at::randn({96}) * 0.1;
  model::Int8Kernels from128(model::Int8Engine::kMixed);
  from128.onednn_min_rows = 128;
  const auto mixed = model::pack_int8_linear(w, b, from128);
  const auto fbgemm = model::pack_int8_linear(w, b, model::Int8Engine::kFbgemm);
  const auto onednn = model::pack_int8_linear(w, b, model::Int8Engine::kOnednn);
  c10::InferenceMode inference;
  const at::Tensor few = at::randn({1, 8, 384}), many = at::randn({2, 64, 384});
  EXPECT_TRUE(at::equal(mixed->forward(few), fbgemm->forward(few)));
  EXPECT_FALSE(at::equal(fbgemm->forward(few), onednn->forward(few)));  // a real choice
  EXPECT_TRUE(at::equal(mixed->forward(many), onednn->forward(many)));
  for (const auto& x : {few, many}) {
    const at::Tensor want = at::linear(x, w, b);
    EXPECT_LT(relative_error(onednn->forward(x), want), 0.03);
  }
}

// fbgemm with 8-bit activations (VNNI CPUs) against its 7-bit ones: half the rounding step, so
// closer to fp32 on the seeded model.
TEST(Int8Onednn, FbgemmFullRangeCloserToFp32OnVnni) {
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  if (!cpu_has_avx512_vnni()) GTEST_SKIP() << "8-bit activations can saturate without VNNI";
  TempDir dir;
  const std::string model_dir = (dir / "model").string();
  write_seeded_classifier(model_dir, /*seed=*/11, /*scale=*/20);
  auto fp32 = model::load_classifier(model_dir);
  auto seven = model::load_classifier(model_dir);
  auto eight = model::load_classifier(model_dir);
  for (auto [l, reduce] : {std::pair{&seven, true}, {&eight, false}}) {
    model::Int8Kernels k(model::Int8Engine::kFbgemm);
    k.fbgemm_reduce_range = reduce;
    k.vnni_kernel = false;  // fbgemm itself
    model::quantize_linears_int8(*l->model, l->model->head_prefixes(), k);
    model::fuse_int8_qkv(*l->model, k);
  }
  c10::InferenceMode inference;
  for (const auto& in : inputs()) {
    auto logits = [&](model::LoadedClassifier& l) {
      return l.model->forward(in.ids, in.mask, at::zeros_like(in.ids)).logits;  // (batch, labels)
    };
    const at::Tensor want = logits(fp32);
    const double rel8 = relative_error(logits(eight), want);
    const double rel7 = relative_error(logits(seven), want);
    std::cout << "fbgemm int8 vs fp32 logits: 8-bit relative error " << rel8 << ", 7-bit " << rel7
              << std::endl;
    EXPECT_LT(rel8, rel7);
  }
}

// The defaults per ISA: the small-row kernel alone on both, Berth's VNNI kernel in fbgemm's place;
// on an AMX CPU it uses AMX tiles from 12 rows, and the same process under bench/no_amx (AVX-512
// VNNI, no AMX) never (kMixed would take oneDNN from 128 rows with AMX, 512 without).
TEST(Int8Onednn, DefaultKernelsFollowTheIsa) {
  const model::Int8Kernels k = model::default_int8_kernels();
  if (std::getenv("BERTH_INT8_KERNELS_CHILD")) {
    std::cout << "engine=" << static_cast<int>(k.engine) << " rows=" << k.onednn_min_rows
              << " reduce=" << k.fbgemm_reduce_range << k.onednn_reduce_range
              << " vnni=" << k.vnni_kernel << " amx_rows=" << k.vnni_amx_min_rows << std::endl;
    return;
  }
  if (!model::int8_supported()) GTEST_SKIP() << "no fbgemm in this LibTorch";
  if (!cpu_has_amx_int8()) GTEST_SKIP() << "not an AMX CPU: nothing to compare the VNNI side to";
  // Berth's kernel alone, on AMX tiles from 12 rows.
  EXPECT_EQ(k.engine, model::Int8Engine::kFbgemm);
  EXPECT_EQ(k.vnni_amx_min_rows, 12);
  EXPECT_EQ(k.onednn_min_rows, 128);
  EXPECT_TRUE(k.fbgemm_reduce_range);
  EXPECT_FALSE(k.onednn_reduce_range);
  // Berth's VNNI kernel takes fbgemm's GEMMs wherever the CPU has VNNI (every AMX CPU does).
  EXPECT_EQ(k.vnni_kernel, cpu_has_avx512_vnni());
  const test::CommandResult r = test::run_command(
      "BERTH_INT8_KERNELS_CHILD=1 '" BERTH_NO_AMX_BINARY "' /proc/" + std::to_string(getpid()) +
      "/exe --gtest_filter=Int8Onednn.DefaultKernelsFollowTheIsa");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string want =
      "engine=" + std::to_string(static_cast<int>(model::Int8Engine::kFbgemm)) +
      " rows=512 reduce=10 vnni=" + std::to_string(cpu_has_avx512_vnni()) +
      " amx_rows=" + std::to_string(model::kNeverAmx);
  EXPECT_NE(r.out.find(want), std::string::npos) << r.out;
}

TEST(Int8Onednn, AmxInt8FlagIsRead) {
  EXPECT_TRUE(flags_have_amx_int8("flags : fpu avx512_vnni amx_bf16 amx_tile amx_int8"));
  EXPECT_FALSE(flags_have_amx_int8("flags : fpu avx2 avx512f avx512_vnni"));
  EXPECT_FALSE(flags_have_amx_int8("flags : fpu amx_int8x"));
  EXPECT_TRUE(flags_have_avx512_vnni("flags : fpu avx2 avx512f avx512_vnni avx512_bf16"));
  EXPECT_FALSE(flags_have_avx512_vnni("flags : fpu avx2 avx_vnni avx512f"));  // AVX2's VNNI
}

}  // namespace
}  // namespace berth::test
