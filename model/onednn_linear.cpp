#include "model/onednn_linear.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include "common/error.h"
#include "model/bert_layers.h"

namespace berth::model {

namespace {

// Both ops are registered by LibTorch's mkldnn library and have no C++ function in the public
// headers, hence the dispatcher.
at::Tensor reorder_weight(const at::Tensor& weight) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("mkldnn::_reorder_linear_weight", "")
                       .typed<at::Tensor(const at::Tensor&, std::optional<int64_t>)>();
  // No batch-size hint: the rows of a prediction batch vary with its padded length.
  return op.call(weight, std::nullopt);
}

at::Tensor linear_pointwise(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                            LinearPostOp post) {
  static auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("mkldnn::_linear_pointwise", "")
          .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const std::optional<at::Tensor>&,
                            c10::string_view, c10::List<std::optional<at::Scalar>>,
                            std::optional<c10::string_view>)>();
  // "gelu" with algorithm "none" is the erf GELU of at::gelu's default.
  const c10::List<std::optional<at::Scalar>> no_scalars;
  return post == LinearPostOp::kGelu ? op.call(x, w, b, "gelu", no_scalars, "none")
                                     : op.call(x, w, b, "none", no_scalars, "");
}

class OnednnLinear final : public PackedLinear {
 public:
  OnednnLinear(const at::Tensor& weight, const at::Tensor& bias, LinearPostOp post)
      : weight_(reorder_weight(weight.detach().to(at::kFloat).contiguous())),
        bias_(bias.detach().to(at::kFloat).contiguous()),
        post_(post) {}
  at::Tensor forward(const at::Tensor& x) const override {
    return linear_pointwise(x.contiguous(), weight_, bias_, post_);
  }

 private:
  at::Tensor weight_;  // oneDNN's blocked layout (an opaque mkldnn tensor)
  at::Tensor bias_;
  LinearPostOp post_;
};

}  // namespace

bool onednn_linear_supported() {
  return at::hasMKLDNN() &&
         c10::Dispatcher::singleton().findSchema({"mkldnn::_linear_pointwise", ""}).has_value();
}

std::shared_ptr<const PackedLinear> pack_onednn_linear(const at::Tensor& weight,
                                                       const at::Tensor& bias, LinearPostOp post) {
  if (!weight.device().is_cpu())
    throw usage_error("model", "oneDNN packed weights are for the CPU only", "use --device cpu");
  return std::make_shared<OnednnLinear>(weight, bias, post);
}

int prepack_linears_onednn(torch::nn::Module& root, const std::vector<std::string>& skip,
                           bool fuse_gelu) {
  at::NoGradGuard no_grad;
  int packed = 0;
  for (auto& item : root.named_modules()) {
    bool skipped = false;
    for (const auto& prefix : skip) skipped |= item.key().rfind(prefix, 0) == 0;
    if (skipped) continue;
    if (auto* a = dynamic_cast<BertSelfAttention*>(item.value().get());
        a != nullptr && a->fused_qkv && !a->packed_qkv && !a->query->packed) {
      // The full layers' q/k/v as one GEMM, as concatenate_qkv_once; the [CLS]-only last layer
      // then takes the three packed maps below.
      a->packed_qkv = pack_onednn_linear(
          at::cat({a->query->weight, a->key->weight, a->value->weight}),  // (3h, h)
          at::cat({a->query->bias, a->key->bias, a->value->bias}));       // (3h)
      ++packed;
    }
    if (auto* f = dynamic_cast<BertIntermediate*>(item.value().get());
        f != nullptr && fuse_gelu && f->activation == Activation::kGelu && !f->dense->packed &&
        f->dense->weight.scalar_type() == at::kFloat) {
      f->dense->packed = pack_onednn_linear(f->dense->weight, f->dense->bias, LinearPostOp::kGelu);
      f->activation_in_dense = true;
      ++packed;
      continue;
    }
    auto* d = dynamic_cast<Dense*>(item.value().get());
    if (d == nullptr || d->packed || d->weight.scalar_type() != at::kFloat) continue;
    d->packed = pack_onednn_linear(d->weight, d->bias);
    ++packed;
  }
  return packed;
}

}  // namespace berth::model
