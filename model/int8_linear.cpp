#include "model/int8_linear.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

#include <algorithm>

#include "common/error.h"
#include "model/amx_int8_tiles.h"
#include "model/bert_layers.h"
#include "model/modernbert_layers.h"
#include "model/packed_int8_gemm.h"

namespace berth::model {

namespace {

// quantized::linear_prepack is reached through the dispatcher: it is registered by LibTorch's
// quantized CPU library, which has no C++ function of its own in the public headers.
c10::intrusive_ptr<LinearPackedParamsBase> prepack(const at::Tensor& qweight,
                                                   const std::optional<at::Tensor>& bias) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("quantized::linear_prepack", "")
                       .typed<c10::intrusive_ptr<LinearPackedParamsBase>(
                           at::Tensor, std::optional<at::Tensor>)>();
  return op.call(qweight, bias);
}

// A GEMM of at least this many rows (tokens) goes to oneDNN under Int8Engine::kMixed on a CPU
// with AMX. With one thread on the AMX Xeon, per GEMM once its oneDNN
// primitive exists, fbgemm led below 32 rows (33 against 49 us at 1 row, 46 against 91 at 8), the
// two were level at 32 and oneDNN led above (1.4x at 64, 2x at 128, 2.3x at 256). But oneDNN
// creates a primitive for every new shape, and one text at a time brings a new length every few
// texts: with 32 here, batch-1 p50 through the Predictor went from 2.5 to 3.2 ms. From 128 rows, a
// batch-1 text of up to 128 tokens stays on fbgemm, and the primitive's cost is small next to the
// GEMM's.
constexpr int64_t kOnednnMinRowsAmx = 128;
// The same without AMX, on AVX-512 VNNI (the AMX Xeon under bench/no_amx: oneDNN's brgemm on
// vpdpbusd against fbgemm's VNNI kernel, both 8-bit, 1 thread, us per GEMM, 3 interleaved
// rounds; bench/int8_gemm_rows.py). oneDNN was 0.5-0.8x fbgemm up to 64 rows; from 128 it led
// the 384 -> 1152 GEMM by 1.05-1.1x (1.7x at 1024), but the 1536 -> 384 one only from 512 rows
// (1.04x; 0.84x at 128, 0.87x at 256). Whole batches of 32 (bench/cpu_levers) agreed: from 512
// rows 1.15x fbgemm, from 256 1.08x (BENCHMARKS.md, "On a CPU without AMX (no_amx)").
constexpr int64_t kOnednnMinRowsVnni = 512;
// From this many rows Berth's int8 kernel takes its sums from AMX tiles rather than vpdpbusd. Per
// GEMM of the default model on the AMX Xeon (bench/packed_gemm_ab ... tiles, the same results to
// the bit): tiles 0.5-0.7x vpdpbusd at 1 row, 0.7-1.0x at 4, 0.9-1.4x at 8, 1.1-1.8x at 12
// (one thread; 1.0-1.3x on two), 1.3-2.1x at 16, 1.9-2.9x from 24.
constexpr int64_t kVnniAmxMinRows = 12;

bool engine_available(at::QEngine q) {
  const auto& engines = at::globalContext().supportedQEngines();
  return std::find(engines.begin(), engines.end(), q) != engines.end();
}

c10::intrusive_ptr<LinearPackedParamsBase> prepack_for(at::QEngine engine, const at::Tensor& q,
                                                       const std::optional<at::Tensor>& bias) {
  if (!engine_available(engine))
    throw usage_error("model",
                      std::string("this LibTorch build has no ") +
                          (engine == at::QEngine::ONEDNN ? "oneDNN" : "fbgemm") + " int8 kernels",
                      "use --precision fp32");
  // The prepack op packs for the global engine; the packed object keeps its own kernels, so
  // layers packed for different engines live side by side.
  at::globalContext().setQEngine(engine);
  return prepack(q, bias);
}

class Int8Linear final : public PackedLinear {
 public:
  Int8Linear(const at::Tensor& weight, const at::Tensor& bias, const Int8Kernels& kernels,
             bool gelu)
      : gelu_(gelu),
        fbgemm_reduce_range_(kernels.fbgemm_reduce_range),
        onednn_reduce_range_(kernels.onednn_reduce_range) {
    const Int8Engine engine = kernels.engine;
    const at::Tensor w = weight.detach().to(at::kCPU, at::kFloat).contiguous();
    if (engine != Int8Engine::kOnednn && kernels.vnni_kernel && packed_int8_gemm_supported()) {
      vnni_ = std::make_unique<PackedInt8Gemm>(
          std::vector<at::Tensor>{w},
          bias.defined() ? std::vector<at::Tensor>{bias} : std::vector<at::Tensor>{},
          gelu ? GemmActivation::kGelu : GemmActivation::kNone, kernels.vnni_reduce_range,
          kernels.vnni_scales, kernels.vnni_amx_min_rows);
    }
    const bool fbgemm = engine != Int8Engine::kOnednn && !vnni_;
    const bool onednn = engine != Int8Engine::kFbgemm;
    if (fbgemm || onednn) {  // the libraries' own packing, from LibTorch's quantized weight
      const at::Tensor scales = int8_weight_scales(w).to(at::kDouble);
      const at::Tensor zeros = at::zeros({w.size(0)}, at::kLong);
      const at::Tensor q = at::quantize_per_channel(w, scales, zeros, 0, at::kQInt8);
      const auto b =
          bias.defined() ? std::optional<at::Tensor>(bias.detach().to(at::kFloat)) : std::nullopt;
      if (fbgemm) fbgemm_ = prepack_for(at::QEngine::FBGEMM, q, b);
      if (onednn) onednn_ = prepack_for(at::QEngine::ONEDNN, q, b);
    }
    min_onednn_rows_ = engine == Int8Engine::kMixed ? kernels.onednn_min_rows : 0;
  }
  at::Tensor forward(const at::Tensor& x) const override {
    const bool large = on_onednn(x);
    if (!large && vnni_) return vnni_->forward(x);
    at::Tensor y = large ? onednn_->apply_dynamic(x.contiguous(), onednn_reduce_range_)
                         : fbgemm_->apply_dynamic(x.contiguous(), fbgemm_reduce_range_);
    return gelu_ ? at::gelu(y) : y;
  }
  at::Tensor forward_add(const at::Tensor& x, const at::Tensor& residual) const override {
    if (!on_onednn(x) && vnni_ && !gelu_) return vnni_->forward_add(x, residual);
    return forward(x) + residual;
  }

 private:
  bool on_onednn(const at::Tensor& x) const {
    const int64_t rows = x.numel() / std::max<int64_t>(1, x.size(-1));
    return onednn_ && rows >= min_onednn_rows_;
  }

  std::unique_ptr<PackedInt8Gemm> vnni_;                        // null where not used
  c10::intrusive_ptr<LinearPackedParamsBase> fbgemm_, onednn_;  // null where not packed
  int64_t min_onednn_rows_ = 0;
  bool gelu_ = false;
  bool fbgemm_reduce_range_ = true;
  bool onednn_reduce_range_ = false;
};

}  // namespace

bool under_any_prefix(const std::string& name, const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes)
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

at::Tensor int8_weight_scales(const at::Tensor& weight) {
  // Symmetric: zero point 0, so no row offsets skew small weights; a row of zeros gets a tiny
  // scale rather than a division by zero.
  return (weight.abs().amax(1) / 127.0).clamp_min(1e-8);
}

bool int8_supported() {
  return engine_available(at::QEngine::FBGEMM);
}

Int8Kernels::Int8Kernels(Int8Engine engine)
    : engine(engine),
      onednn_min_rows(amx_int8_tiles_usable() ? kOnednnMinRowsAmx : kOnednnMinRowsVnni),
      // 7 bits everywhere: 8 bits on VNNI were as fast and closer to fp32 in logits, but lost 2
      // more of SST-2's 1,821 test texts (84.95 against 85.06, fp32 85.56: past the 0.5-point
      // budget; BENCHMARKS.md, "On a CPU without AMX (no_amx)").
      fbgemm_reduce_range(true),
      onednn_reduce_range(false),
      vnni_kernel(packed_int8_gemm_supported()),
      // Per token and in 8 bits: the finest steps the kernel can take (vpdpbusd cannot
      // saturate), as fast as per tensor in 7 (one range pass per row instead of one per
      // tensor). SST-2 / TREC-6 int8 accuracy without AMX, where the kernel runs every GEMM:
      // -0.17 / 0.00 points from fp32, against -0.49 / -1.00 per tensor in 7 bits
      // (BENCHMARKS.md, "int8 on Berth's VNNI kernel").
      vnni_scales(ActivationScales::kPerRow),
      vnni_reduce_range(false),
      vnni_amx_min_rows(amx_int8_tiles_usable() ? kVnniAmxMinRows : kNeverAmx) {}

Int8Kernels default_int8_kernels() {
  // Berth's kernel wherever the CPU has AVX-512 VNNI, on AMX tiles from 12 rows where the process
  // has them; fbgemm elsewhere (AVX2). On the AMX Xeon the kernel alone ran batches of 32 at
  // 1.46x kMixed's speed (oneDNN's AMX kernel from 128 rows; BENCHMARKS.md, "Fifth round: int8
  // on AMX tiles") and gives the same scores as without AMX, where it lost 0.16 / 0.00 points
  // of SST-2 / TREC-6 to fp32 against kMixed's 0.49-0.60 / 0.00 with one scale a tensor. Without
  // AMX, oneDNN from 512 rows had been 1.06-1.15x fbgemm per batch of 32 but lost 0.60 on SST-2
  // (BENCHMARKS.md, "On a CPU without AMX (no_amx)"). kMixed stays available (bench/cpu_levers).
  static const Int8Kernels kernels(Int8Engine::kFbgemm);
  return kernels;
}

std::string describe(const Int8Kernels& k) {
  auto bits = [](bool reduce_range) {
    return std::string(reduce_range ? "7" : "8") + "-bit activations";
  };
  const std::string onednn = "oneDNN (" + bits(k.onednn_reduce_range) + ")";
  if (k.engine == Int8Engine::kOnednn) return onednn;
  const std::string small =
      !k.vnni_kernel
          ? "fbgemm (" + bits(k.fbgemm_reduce_range) + ", one range a call)"
          : "Berth's kernel (" +
                (k.vnni_amx_min_rows < kNeverAmx
                     ? "AMX tiles from " + std::to_string(k.vnni_amx_min_rows) + " rows, "
                     : std::string()) +
                bits(k.vnni_reduce_range) +
                (k.vnni_scales == ActivationScales::kPerRow ? ", one range a token)"
                                                            : ", one range a call)");
  if (k.engine == Int8Engine::kMixed)
    return small + " below " + std::to_string(k.onednn_min_rows) + " rows, " + onednn +
           " from there";
  return small;
}

Int8Engine default_int8_engine() {
  return default_int8_kernels().engine;
}

std::shared_ptr<const PackedLinear> pack_int8_linear(const at::Tensor& weight,
                                                     const at::Tensor& bias, Int8Kernels kernels,
                                                     bool gelu) {
  return std::make_shared<Int8Linear>(weight, bias, kernels, gelu);
}

int quantize_linears_int8(torch::nn::Module& root, const std::vector<std::string>& skip,
                          Int8Kernels kernels) {
  int packed = 0;
  const Dense* gelu_dense = nullptr;  // the feed-forward dense that takes its layer's GELU
  for (auto& item : root.named_modules()) {
    // A feed-forward comes before its dense in the modules' order.
    if (auto* f = dynamic_cast<BertIntermediate*>(item.value().get())) {
      if (f->activation == Activation::kGelu && !f->activation_in_dense &&
          !under_any_prefix(item.key() + ".dense", skip)) {
        f->activation_in_dense = true;
        gelu_dense = f->dense.get();
      }
      continue;
    }
    // Every family's linear maps: Dense (BERT, RoBERTa, ELECTRA, DistilBERT, DeBERTa) and
    // ModernBERT's bias-optional ModernBertLinear.
    auto dense = std::dynamic_pointer_cast<Dense>(item.value());
    auto modern = std::dynamic_pointer_cast<ModernBertLinear>(item.value());
    if (!dense && !modern) continue;
    if (under_any_prefix(item.key(), skip)) continue;
    const at::Tensor& weight = dense ? dense->weight : modern->weight;
    if (!weight.device().is_cpu())
      throw usage_error("model", "int8 runs on the CPU only", "use --device cpu");
    (dense ? dense->packed : modern->packed) = pack_int8_linear(
        weight, dense ? dense->bias : modern->bias, kernels, dense && dense.get() == gelu_dense);
    ++packed;
  }
  return packed;
}

}  // namespace berth::model
