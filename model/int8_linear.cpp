#include "model/int8_linear.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

#include "common/error.h"
#include "model/bert_layers.h"
#include "model/modernbert_layers.h"

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

class Int8Linear final : public PackedLinear {
 public:
  Int8Linear(const at::Tensor& weight, const at::Tensor& bias) {
    const at::Tensor w = weight.detach().to(at::kCPU, at::kFloat).contiguous();
    // Symmetric per-row scales: zero point 0, so no row offsets skew small weights; a row of
    // zeros gets a tiny scale rather than a division by zero.
    const at::Tensor scales = (w.abs().amax(1) / 127.0).clamp_min(1e-8).to(at::kDouble);
    const at::Tensor zeros = at::zeros({w.size(0)}, at::kLong);
    const at::Tensor q = at::quantize_per_channel(w, scales, zeros, 0, at::kQInt8);
    packed_ = prepack(
        q, bias.defined() ? std::optional<at::Tensor>(bias.detach().to(at::kFloat)) : std::nullopt);
  }
  at::Tensor forward(const at::Tensor& x) const override {
    // reduce_range: 7-bit activations, as quantize_dynamic uses with fbgemm, so that the
    // u8 x s8 pair sums of AVX2's vpmaddubsw cannot saturate on CPUs without VNNI.
    return packed_->apply_dynamic(x.contiguous(), /*reduce_range=*/true);
  }

 private:
  c10::intrusive_ptr<LinearPackedParamsBase> packed_;
};

}  // namespace

bool int8_supported() {
  const auto& engines = at::globalContext().supportedQEngines();
  return std::find(engines.begin(), engines.end(), at::QEngine::FBGEMM) != engines.end();
}

std::shared_ptr<const PackedLinear> pack_int8_linear(const at::Tensor& weight,
                                                     const at::Tensor& bias) {
  if (!int8_supported())
    throw usage_error("model", "this LibTorch build has no fbgemm int8 kernels",
                      "use --precision fp32");
  at::globalContext().setQEngine(at::QEngine::FBGEMM);
  return std::make_shared<Int8Linear>(weight, bias);
}

int quantize_linears_int8(torch::nn::Module& root, const std::vector<std::string>& skip) {
  int packed = 0;
  for (auto& item : root.named_modules()) {
    // Every family's linear maps: Dense (BERT, RoBERTa, ELECTRA, DistilBERT, DeBERTa) and
    // ModernBERT's bias-optional ModernBertLinear.
    auto dense = std::dynamic_pointer_cast<Dense>(item.value());
    auto modern = std::dynamic_pointer_cast<ModernBertLinear>(item.value());
    if (!dense && !modern) continue;
    bool skipped = false;
    for (const auto& prefix : skip) skipped |= item.key().rfind(prefix, 0) == 0;
    if (skipped) continue;
    const at::Tensor& weight = dense ? dense->weight : modern->weight;
    if (!weight.device().is_cpu())
      throw usage_error("model", "int8 runs on the CPU only", "use --device cpu");
    (dense ? dense->packed : modern->packed) =
        pack_int8_linear(weight, dense ? dense->bias : modern->bias);
    ++packed;
  }
  return packed;
}

}  // namespace berth::model
