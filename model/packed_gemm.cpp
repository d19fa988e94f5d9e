#include "model/packed_gemm.h"

#include <ATen/Parallel.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <torch/nn/module.h>

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/allocator_policy.h"
#include "model/bert_layers.h"
#include "model/gemm_tiling.h"
#include "model/panel_row_store.h"

namespace berth::model {

namespace {

constexpr int64_t kPanel = 32;  // output features per panel: two 16-float registers
constexpr int64_t kBlock = 12;  // rows per block: 24 accumulators of the 32 registers
// Rows per unit of parallel work: a chunk's activations (96 x in floats) stay in L2 while the
// chunk sweeps every panel, so that a large batch does not stream them from memory per panel.
constexpr int64_t kChunkRows = 96;
// Inner-dimension steps ahead at which the kernel prefetches its panel into L1: a panel (48 KB
// at 384 inputs, 192 KB at 1536) does not stay there between row blocks. 16 steps (2 KB) ahead
// gave 0-5 % per GEMM (bench/packed_gemm_ab, 1 thread, 96 and 800 rows; 8 steps less).
constexpr int64_t kPrefetchSteps = 16;

// Computes one block of rows (see panel_block). The residual, when added, has the output's
// layout (row stride ldc).
using BlockFn = void (*)(const float*, int64_t, const float*, int64_t, const float*, float*,
                         int64_t, int64_t, const float*);

#if defined(__x86_64__)
#define BERTH_AVX512 __attribute__((target("avx512f,fma")))

// rows x 32 outputs of one panel: c = a * panel + bias, over the whole inner dimension, then
// the epilogue. `valid` columns (1..32) are stored; the panel's padding beyond the layer's
// width is not.
template <int Rows, Epilogue E>
BERTH_AVX512 void panel_block(const float* a, int64_t lda, const float* panel, int64_t depth,
                              const float* bias, float* c, int64_t ldc, int64_t valid,
                              const float* residual) {
  // Under 4 rows, 2 x Rows accumulators are too few to hide the FMA's latency (4 cycles, 2 per
  // cycle): a row then keeps Split partial sums over alternating k, added at the end.
  constexpr int Split = Rows >= 4 ? 1 : Rows == 1 ? 4 : 2;
  __m512 lo[Split][Rows], hi[Split][Rows];
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int r = 0; r < Rows; ++r) {
    lo[0][r] = _mm512_loadu_ps(bias), hi[0][r] = _mm512_loadu_ps(bias + 16);
#pragma GCC unroll 4
    for (int s = 1; s < Split; ++s) lo[s][r] = zero, hi[s][r] = zero;
  }
  int64_t k = 0;
  for (; k + Split <= depth; k += Split) {
#pragma GCC unroll 4
    for (int s = 0; s < Split; ++s) {
      _mm_prefetch(reinterpret_cast<const char*>(panel + (k + s + kPrefetchSteps) * kPanel),
                   _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(panel + (k + s + kPrefetchSteps) * kPanel + 16),
                   _MM_HINT_T0);
      const __m512 w_lo = _mm512_load_ps(panel + (k + s) * kPanel);
      const __m512 w_hi = _mm512_load_ps(panel + (k + s) * kPanel + 16);
#pragma GCC unroll 12
      for (int r = 0; r < Rows; ++r) {
        const __m512 x = _mm512_set1_ps(a[r * lda + k + s]);
        lo[s][r] = _mm512_fmadd_ps(x, w_lo, lo[s][r]);
        hi[s][r] = _mm512_fmadd_ps(x, w_hi, hi[s][r]);
      }
    }
  }
  for (; k < depth; ++k) {  // the inner dimension's remainder under Split
    const __m512 w_lo = _mm512_load_ps(panel + k * kPanel);
    const __m512 w_hi = _mm512_load_ps(panel + k * kPanel + 16);
#pragma GCC unroll 12
    for (int r = 0; r < Rows; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * lda + k]);
      lo[0][r] = _mm512_fmadd_ps(x, w_lo, lo[0][r]);
      hi[0][r] = _mm512_fmadd_ps(x, w_hi, hi[0][r]);
    }
  }
  const simd::PanelMasks masks = simd::panel_masks(valid);
#pragma GCC unroll 12
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 4
    for (int s = 1; s < Split; ++s) {
      lo[0][r] = _mm512_add_ps(lo[0][r], lo[s][r]);
      hi[0][r] = _mm512_add_ps(hi[0][r], hi[s][r]);
    }
    simd::store_panel_row<E>(lo[0][r], hi[0][r], masks, c + r * ldc,
                             E == Epilogue::kAddResidual ? residual + r * ldc : nullptr);
  }
}
#undef BERTH_AVX512

template <Epilogue E, int... Rows>
constexpr std::array<BlockFn, sizeof...(Rows)> block_table(std::integer_sequence<int, Rows...>) {
  return {&panel_block<Rows + 1, E>...};
}

// blocks[e][r - 1] computes r rows with epilogue e.
constexpr std::array<std::array<BlockFn, kBlock>, 3> blocks = {
    block_table<Epilogue::kStore>(std::make_integer_sequence<int, kBlock>{}),
    block_table<Epilogue::kGelu>(std::make_integer_sequence<int, kBlock>{}),
    block_table<Epilogue::kAddResidual>(std::make_integer_sequence<int, kBlock>{})};
#else
// Other architectures (aarch64 clusters) keep at::linear: packed_gemm_supported() is false.
constexpr std::array<std::array<BlockFn, kBlock>, 3> blocks{};
#endif

}  // namespace

bool packed_gemm_supported() {
#if defined(__x86_64__)
  static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  return supported;
#else
  return false;
#endif
}

PackedGemm::PackedGemm(const at::Tensor& weight, const at::Tensor& bias, GemmActivation activation)
    : PackedGemm(std::vector<at::Tensor>{weight},
                 bias.defined() ? std::vector<at::Tensor>{bias} : std::vector<at::Tensor>{}) {
  activation_ = activation;
}

PackedGemm::PackedGemm(const std::vector<at::Tensor>& weights,
                       const std::vector<at::Tensor>& biases) {
  if (!packed_gemm_supported())
    throw std::logic_error("PackedGemm on a CPU without AVX-512: check packed_gemm_supported()");
  if (weights.empty() || (!biases.empty() && biases.size() != weights.size()))
    throw std::logic_error("PackedGemm: one bias per weight, or none");
  at::NoGradGuard no_grad;
  in_ = weights.front().size(1);
  for (const auto& w : weights) {
    if (w.dim() != 2 || w.size(1) != in_)
      throw std::logic_error("PackedGemm: weights of one input width, (out, in)");
    out_ += w.size(0);
  }
  const int64_t panels = (out_ + kPanel - 1) / kPanel, padded = panels * kPanel;
  // Written straight from the weights, with no temporary copy of the layer: packing a model
  // whose fp32 weights are released as it goes needs about one layer of memory more, not a
  // second model.
  panels_ = at::empty({panels, in_, kPanel}, at::kFloat);
  bias_ = at::zeros({padded}, at::kFloat);
  float* pb = bias_.data_ptr<float>();
  // Each output feature's source row (null past the layer's width: zeros), the weights kept
  // alive as contiguous fp32 for the copy.
  std::vector<at::Tensor> sources;
  std::vector<const float*> rows(static_cast<size_t>(padded), nullptr);
  int64_t row = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    sources.push_back(weights[i].detach().to(at::kCPU, at::kFloat).contiguous());
    const float* src = sources.back().data_ptr<float>();
    const int64_t n = sources.back().size(0);
    for (int64_t r = 0; r < n; ++r) rows[static_cast<size_t>(row + r)] = src + r * in_;
    if (!biases.empty() && biases[i].defined()) {
      const at::Tensor b = biases[i].detach().to(at::kCPU, at::kFloat).contiguous();
      std::copy(b.data_ptr<float>(), b.data_ptr<float>() + b.numel(), pb + row);
    }
    row += n;
  }
  // A panel at a time, 16 inner indices of its 32 rows at a time: a cache line read per row and
  // a 2 KB tile written, so that packing stays a small part of the model's load.
  float* pw = panels_.data_ptr<float>();
  const int64_t in = in_;
  at::parallel_for(0, panels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      float* panel = pw + p * in * kPanel;
      for (int64_t k0 = 0; k0 < in; k0 += 16) {
        const int64_t k1 = std::min(in, k0 + 16);
        for (int64_t j = 0; j < kPanel; ++j) {
          const float* src = rows[static_cast<size_t>(p * kPanel + j)];
          for (int64_t k = k0; k < k1; ++k) panel[k * kPanel + j] = src ? src[k] : 0.0f;
        }
      }
    }
  });
}

at::Tensor PackedGemm::forward(const at::Tensor& x) const {
  return run(x, at::Tensor());
}

at::Tensor PackedGemm::forward_add(const at::Tensor& x, const at::Tensor& residual) const {
  return run(x, residual);
}

at::Tensor PackedGemm::run(const at::Tensor& x, const at::Tensor& residual) const {
  const GemmCall call = gemm_call("PackedGemm", x, residual, in_, out_, activation_);
  const int64_t rows = call.rows;
  const at::Tensor& y = call.output;
  if (rows == 0) return y;
  const auto& block = blocks[static_cast<size_t>(call.epilogue)];
  const float* pa = call.input.data_ptr<float>();
  const float* pw = panels_.data_ptr<float>();
  const float* pb = bias_.data_ptr<float>();
  const float* pr = call.residual.defined() ? call.residual.data_ptr<float>() : nullptr;
  float* py = y.data_ptr<float>();
  const int64_t panels = panels_.size(0), in = in_, out = out_;
  for_each_panel_block(rows, panels, kChunkRows, kBlock, [&](int64_t p, int64_t r, int64_t n) {
    const int64_t at = r * out + p * kPanel;
    block[n - 1](pa + r * in, in, pw + p * in * kPanel, in, pb + p * kPanel, py + at, out,
                 std::min(kPanel, out - p * kPanel), pr ? pr + at : nullptr);
  });
  return y;
}

int pack_fp32_linears(torch::nn::Module& root, const std::vector<std::string>& skip) {
  if (!packed_gemm_supported()) return 0;
  at::NoGradGuard no_grad;
  auto fp32 = [](const Dense& d) {
    // A released weight (numel 0) is already packed, maybe as part of a q/k/v concatenation.
    return !d.packed && d.weight.dim() == 2 && d.weight.scalar_type() == at::kFloat &&
           d.weight.is_cpu();
  };
  auto release = [](Dense& d) {
    d.weight.set_data(at::empty({0}, d.weight.options()));
    d.bias.set_data(at::empty({0}, d.bias.options()));
  };
  // The released copies leave holes in the heap that the next packed weights only partly fill:
  // their pages go back to the kernel after each one, so that the peak stays the model's size
  // plus one layer (a 2-text predict: +15 MB peak without it).
  auto released = [&] { release_free_heap_pages(); };
  int packed = 0;
  std::set<const Dense*> in_qkv;
  // One pass in the modules' order (an attention before its q, k and v; the layers in turn):
  // each layer's released weights leave room in the heap for the next layer's packed ones.
  for (auto& item : root.named_modules()) {
    if (under_any_prefix(item.key(), skip)) continue;
    if (auto* a = dynamic_cast<BertSelfAttention*>(item.value().get())) {
      if (a->packed_qkv || !a->fused_qkv || !fp32(*a->query) || !fp32(*a->key) || !fp32(*a->value))
        continue;
      a->packed_qkv = std::make_shared<PackedGemm>(
          std::vector<at::Tensor>{a->query->weight, a->key->weight, a->value->weight},  // (3h, h)
          std::vector<at::Tensor>{a->query->bias, a->key->bias, a->value->bias});
      a->cls_from_packed_qkv = true;
      for (Dense* d : {a->query.get(), a->key.get(), a->value.get()}) {
        release(*d);
        in_qkv.insert(d);
      }
      released();
      ++packed;
      continue;
    }
    if (auto* f = dynamic_cast<BertIntermediate*>(item.value().get())) {
      if (f->activation != Activation::kGelu || f->activation_in_dense || !fp32(*f->dense))
        continue;
      // Its dense, next in the order, is then no longer fp32 and is passed over.
      f->dense->packed =
          std::make_shared<PackedGemm>(f->dense->weight, f->dense->bias, GemmActivation::kGelu);
      f->activation_in_dense = true;
      release(*f->dense);
      released();
      ++packed;
      continue;
    }
    auto* d = dynamic_cast<Dense*>(item.value().get());
    if (d == nullptr || in_qkv.count(d) || !fp32(*d)) continue;
    d->packed = std::make_shared<PackedGemm>(d->weight, d->bias);
    release(*d);
    released();
    ++packed;
  }
  return packed;
}

}  // namespace berth::model
