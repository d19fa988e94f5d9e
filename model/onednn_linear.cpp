#include "model/onednn_linear.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <set>

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
                           const OnednnPrepack& how) {
  at::NoGradGuard no_grad;
  int packed = 0;
  std::set<const Dense*> qkv;
  auto fp32 = [](const Dense& d) { return !d.packed && d.weight.scalar_type() == at::kFloat; };
  auto release = [&](Dense& d) {
    if (!how.release_fp32_weights) return;
    d.weight.set_data(at::empty({0}, d.weight.options()));
    d.bias.set_data(at::empty({0}, d.bias.options()));
  };
  for (auto& item : root.named_modules()) {
    auto* a = dynamic_cast<BertSelfAttention*>(item.value().get());
    if (a == nullptr || under_any_prefix(item.key(), skip) || !a->fused_qkv || !fp32(*a->query) ||
        !fp32(*a->key) || !fp32(*a->value))
      continue;
    a->packed_qkv = pack_onednn_linear(
        at::cat({a->query->weight, a->key->weight, a->value->weight}),  // (3h, h)
        at::cat({a->query->bias, a->key->bias, a->value->bias}));       // (3h)
    qkv.insert({a->query.get(), a->key.get(), a->value.get()});
    ++packed;
  }
  for (auto& item : root.named_modules()) {
    if (under_any_prefix(item.key(), skip)) continue;
    if (auto* f = dynamic_cast<BertIntermediate*>(item.value().get());
        f != nullptr && how.fuse_gelu && f->activation == Activation::kGelu && fp32(*f->dense)) {
      f->dense->packed = pack_onednn_linear(f->dense->weight, f->dense->bias, LinearPostOp::kGelu);
      f->activation_in_dense = true;
      release(*f->dense);
      ++packed;
      continue;
    }
    auto* d = dynamic_cast<Dense*>(item.value().get());
    if (d == nullptr || !fp32(*d) || qkv.count(d)) continue;
    d->packed = pack_onednn_linear(d->weight, d->bias);
    release(*d);
    ++packed;
  }
  return packed;
}

}  // namespace berth::model
