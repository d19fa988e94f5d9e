// The CPU inference levers of issue 27, A/B in one process (bench/ort_compare.sh's companion):
// the classifier's forward passes over length-sorted batches of real texts, each variant on its
// own copy of the model, the variants interleaved round by round.
//
// usage: cpu_levers CHECKPOINT_DIR TEXTS.txt [THREADS=0] [ROUNDS=3] [BATCH=32] [N=1024]
// Variants: fp32 with q/k/v's weights concatenated once (at::linear, the predictor's fp32 path
// before model/packed_gemm.h), fp32 over weights packed once (model/packed_gemm.h), fp32 with
// every weight prepacked for oneDNN (model/onednn_linear.h) without and with GELU as the
// feed-forward GEMM's post-op; int8 (q/k/v fused) on fbgemm with 7-bit and 8-bit activations,
// on oneDNN's int8 engine, on both as this CPU's default picks them per GEMM by its rows, and on
// both from each row count in $MIXED_ROWS (e.g. "256 512") and from 128 with 7-bit fbgemm (an
// AMX CPU's kernels before the per-ISA defaults); bf16 with the Linear weights cast once
// and q/k/v concatenated once. (The variants of earlier rounds, measured in BENCHMARKS.md, are in
// git history.) Batches are interleaved across the variants (see main). Prints one JSON line per
// variant and round
// ({"variant", "round", "texts_per_s", "vs_first": the first variant's time over this one's}) and
// the median (min-max) of each. $ONLY="int8 bf16" keeps only the variants whose names contain one
// of those words (and the first, the reference). Tokenizing is outside the timed region: the same
// batches for all. Built only with -DBERTH_BENCH=ON (bench/CMakeLists.txt).
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "model/autocast_guard.h"
#include "model/bert_layers.h"
#include "model/int8_linear.h"
#include "model/onednn_linear.h"
#include "model/packed_gemm.h"
#include "model/pretrained.h"

using namespace berth;

namespace {

struct Variant {
  std::string name;
  model::LoadedClassifier loaded;
  bool autocast = false;
};

void cast_linears_bf16(torch::nn::Module& root) {
  for (auto& m : root.modules(false))
    if (auto* d = dynamic_cast<model::Dense*>(m.get())) {
      d->weight.set_data(d->weight.detach().to(at::kBFloat16));
      d->bias.set_data(d->bias.detach().to(at::kBFloat16));
    }
}

// As model/predictor.cpp's concatenate_qkv_once.
class ConcatenatedLinear final : public model::PackedLinear {
 public:
  ConcatenatedLinear(at::Tensor w, at::Tensor b) : w_(std::move(w)), b_(std::move(b)) {}
  at::Tensor forward(const at::Tensor& x) const override { return at::linear(x, w_, b_); }

 private:
  at::Tensor w_, b_;
};

void concatenate_qkv_once(torch::nn::Module& root) {
  at::NoGradGuard no_grad;
  for (auto& m : root.modules(false))
    if (auto* a = dynamic_cast<model::BertSelfAttention*>(m.get()); a && !a->query->packed) {
      const at::Tensor w = at::cat({a->query->weight, a->key->weight, a->value->weight}).detach();
      const at::Tensor b = at::cat({a->query->bias, a->key->bias, a->value->bias}).detach();
      a->packed_qkv = std::make_shared<ConcatenatedLinear>(w, b);
      const int64_t h = a->query->weight.size(0);
      int64_t row = 0;
      for (model::Dense* d : {a->query.get(), a->key.get(), a->value.get()}) {
        d->weight.set_data(w.narrow(0, row, h));  // views: the [CLS]-only layer's k/v block
        d->bias.set_data(b.narrow(0, row, h));
        row += h;
      }
    }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: cpu_levers CHECKPOINT_DIR TEXTS.txt [THREADS=0] [ROUNDS=3] [BATCH=32] "
                 "[N=1024]\n";
    return 2;
  }
  const std::string dir = argv[1];
  const int threads = argc > 3 ? std::stoi(argv[3]) : 0;
  const int rounds = argc > 4 ? std::stoi(argv[4]) : 3;
  const size_t batch = argc > 5 ? std::stoul(argv[5]) : 32;
  const size_t n = argc > 6 ? std::stoul(argv[6]) : 1024;
  if (threads > 0) at::set_num_threads(threads);

  const auto tok = data::Tokenizer::from_directory(dir);
  std::vector<std::vector<int32_t>> enc;
  std::ifstream in(argv[2]);
  for (std::string line; enc.size() < n && std::getline(in, line);)
    enc.push_back(tok.encode(line, 128).ids);
  std::sort(enc.begin(), enc.end(),
            [](const auto& a, const auto& b) { return a.size() < b.size(); });
  struct Batch {
    at::Tensor ids, mask;  // (batch, seq)
  };
  std::vector<Batch> batches;
  for (size_t b = 0; b < enc.size(); b += batch) {
    const size_t e = std::min(enc.size(), b + batch);
    const int64_t seq = static_cast<int64_t>(enc[e - 1].size());
    at::Tensor ids = at::zeros({static_cast<int64_t>(e - b), seq}, at::kLong);
    at::Tensor mask = at::zeros_like(ids);
    for (size_t i = b; i < e; ++i)
      for (size_t t = 0; t < enc[i].size(); ++t) {
        ids[static_cast<int64_t>(i - b)][static_cast<int64_t>(t)] = enc[i][t];
        mask[static_cast<int64_t>(i - b)][static_cast<int64_t>(t)] = 1;
      }
    batches.push_back({ids, mask});
  }

  std::vector<std::string> only, mixed_rows;
  auto words = [](const char* env) {
    std::vector<std::string> out;
    std::istringstream in(std::getenv(env) ? std::getenv(env) : "");
    for (std::string w; in >> w;) out.push_back(w);
    return out;
  };
  only = words("ONLY");
  mixed_rows = words("MIXED_ROWS");
  auto wanted = [&](const std::string& name) {
    if (only.empty()) return true;
    for (const auto& w : only)
      if (name.find(w) != std::string::npos) return true;
    return false;
  };
  std::vector<Variant> variants;
  // Every variant's model is loaded before any is run (the reserve keeps the pointers).
  variants.reserve(16 + mixed_rows.size());
  auto add = [&](const std::string& name, bool autocast) {
    variants.push_back({name, model::load_classifier(dir), autocast});
    return &variants.back();
  };
  concatenate_qkv_once(*add("fp32-qkv-concatenated-once", false)->loaded.model);
  // The predictor's fp32 path on AVX-512 CPUs: every weight packed once (model/packed_gemm.h).
  if (wanted("fp32-packed-gemm") &&
      model::pack_fp32_linears(*add("fp32-packed-gemm", false)->loaded.model) == 0)
    variants.pop_back();  // no AVX-512F here
  if (wanted("fp32-onednn-prepacked")) {
    model::OnednnPrepack plain;
    plain.fuse_gelu = false;
    model::prepack_linears_onednn(*add("fp32-onednn-prepacked", false)->loaded.model, {}, plain);
    model::OnednnPrepack as_predictor;  // GELU fused, fp32 copies freed (tried in the predictor)
    as_predictor.release_fp32_weights = true;
    auto* p = add("fp32-onednn-prepacked-gelu", false);
    concatenate_qkv_once(*p->loaded.model);
    model::prepack_linears_onednn(*p->loaded.model, {}, as_predictor);
  }
  std::vector<std::pair<model::Int8Kernels, std::string>> int8;
  model::Int8Kernels fbgemm7(model::Int8Engine::kFbgemm), fbgemm8 = fbgemm7;
  fbgemm7.fbgemm_reduce_range = true;
  fbgemm8.fbgemm_reduce_range = false;
  int8.emplace_back(fbgemm7, "int8-fbgemm-7bit");
  int8.emplace_back(fbgemm8, "int8-fbgemm-8bit");
  int8.emplace_back(model::Int8Engine::kOnednn, "int8-onednn");
  // What an AMX CPU ran before the per-ISA defaults: oneDNN from 128 rows, fbgemm 7-bit below.
  model::Int8Kernels amx_before(model::Int8Engine::kMixed);
  amx_before.onednn_min_rows = 128;
  amx_before.fbgemm_reduce_range = true;
  int8.emplace_back(amx_before, "int8-mixed-from-128-fbgemm-7bit");
  int8.emplace_back(model::default_int8_kernels(), "int8-default-of-this-cpu");
  // The AMX CPUs' default before the fifth round: oneDNN from 128 rows, Berth's kernel below on
  // vpdpbusd only.
  model::Int8Kernels onednn_from_128(model::Int8Engine::kMixed);
  onednn_from_128.onednn_min_rows = 128;
  onednn_from_128.vnni_amx_min_rows = model::kNeverAmx;
  int8.emplace_back(onednn_from_128, "int8-mixed-onednn-from-128-vnni-below");
  // Berth's kernel on every GEMM: vpdpbusd, and AMX tiles from vnni_amx_min_rows where the
  // process has them.
  int8.emplace_back(model::Int8Kernels(model::Int8Engine::kFbgemm), "int8-berth-kernel-alone");
  for (const auto& rows : mixed_rows) {
    model::Int8Kernels k(model::Int8Engine::kMixed);
    k.onednn_min_rows = std::stol(rows);
    int8.emplace_back(k, "int8-mixed-from-" + rows);
  }
  for (const auto& [kernels, name] : int8) {
    if (!wanted(name)) continue;
    auto* q = add(name, false);
    model::quantize_linears_int8(*q->loaded.model, q->loaded.model->head_prefixes(), kernels);
    model::fuse_int8_qkv(*q->loaded.model, kernels);
  }
  if (wanted("bf16-cast-once-qkv-concatenated-once")) {
    auto* b = add("bf16-cast-once-qkv-concatenated-once", true);
    cast_linears_bf16(*b->loaded.model);
    concatenate_qkv_once(*b->loaded.model);
  }

  c10::InferenceMode inference;
  // Warm-up: first-call allocations and the oneDNN primitives of every batch shape.
  for (auto& v : variants)
    for (const auto& b : batches) {
      model::AutocastGuard ac(at::kCPU, v.autocast ? std::optional(at::kBFloat16) : std::nullopt);
      v.loaded.model->forward(b.ids, b.mask, at::zeros_like(b.ids));
    }
  // Interleaved batch by batch (each batch through every variant in turn, the first variant
  // rotating), so that a burst of load from other processes hits all variants alike; each
  // round's ratio to the first variant is then a paired comparison.
  const size_t nv = variants.size();
  std::vector<std::vector<double>> tps(nv), ratio(nv);
  for (int r = 1; r <= rounds; ++r) {
    std::vector<double> secs(nv, 0.0);
    for (size_t bi = 0; bi < batches.size(); ++bi)
      for (size_t k = 0; k < nv; ++k) {
        const size_t vi = (k + bi) % nv;
        auto& v = variants[vi];
        const auto& b = batches[bi];
        const auto t0 = std::chrono::steady_clock::now();
        model::AutocastGuard ac(at::kCPU, v.autocast ? std::optional(at::kBFloat16) : std::nullopt);
        v.loaded.model->forward(b.ids, b.mask, at::zeros_like(b.ids)).logits.to(at::kFloat);
        secs[vi] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
    for (size_t vi = 0; vi < nv; ++vi) {
      tps[vi].push_back(static_cast<double>(enc.size()) / secs[vi]);
      ratio[vi].push_back(secs[0] / secs[vi]);
      std::printf(
          "{\"variant\": \"%s\", \"round\": %d, \"texts_per_s\": %.1f, \"vs_first\": %.3f}\n",
          variants[vi].name.c_str(), r, tps[vi].back(), ratio[vi].back());
    }
    std::fflush(stdout);
  }
  auto med = [](std::vector<double> x) {
    std::sort(x.begin(), x.end());
    return std::array<double, 3>{x[x.size() / 2], x.front(), x.back()};
  };
  for (size_t vi = 0; vi < nv; ++vi) {
    const auto t = med(tps[vi]), q = med(ratio[vi]);
    std::printf("# %-36s median %.1f texts/s (min %.1f, max %.1f); vs first %.3fx (%.3f-%.3f)\n",
                variants[vi].name.c_str(), t[0], t[1], t[2], q[0], q[1], q[2]);
  }
  return 0;
}
