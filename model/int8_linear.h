// Dynamic int8 quantisation of the Linear layers for CPU inference (`--precision int8`).
//
// Weights are quantised once, at load, per output channel (symmetric int8, scale = max|w| / 127
// of each row), and prepacked for fbgemm; activations are quantised per call from their own
// range (dynamic quantisation, as torch.ao.quantization.quantize_dynamic does), the matmul runs
// in int8 with int32 accumulation and the result comes back as fp32 with the bias added. No new
// file format: the fp32 checkpoint is quantised when it is loaded.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>

namespace berth::model {

// A linear map whose weights live in a backend-specific packed form. Dense::forward calls it
// instead of at::linear when set.
class PackedLinear {
 public:
  virtual ~PackedLinear() = default;
  virtual at::Tensor forward(const at::Tensor& x) const = 0;
};

// The library whose int8 GEMM runs the packed layers. fbgemm takes 7-bit activations
// (reduce_range, see Int8Linear); oneDNN takes 8-bit ones and uses AMX int8 tiles where the CPU
// has them, where it is 2x fbgemm's speed on GEMMs of a hundred rows or more but slower on a
// few rows (a batch-1 text: its per-call set-up). kMixed packs both and picks per call by the
// number of rows (BENCHMARKS.md, "Second round: int8 on oneDNN").
enum class Int8Engine { kFbgemm, kOnednn, kMixed };

// kMixed where the CPU has AMX int8 (measured there), fbgemm elsewhere (as before).
Int8Engine default_int8_engine();

// Packs one fp32 (out, in) weight and its (out) bias for the int8 kernel.
std::shared_ptr<const PackedLinear> pack_int8_linear(const at::Tensor& weight,
                                                     const at::Tensor& bias,
                                                     Int8Engine engine = default_int8_engine());

// Whether this LibTorch build has the fbgemm int8 kernels (x86-64 CPUs with AVX2 or newer).
bool int8_supported();

// Gives every linear layer (Dense; ModernBERT's ModernBertLinear) inside `root` whose name does not
// start with one of `skip` a packed int8 weight. Returns how many were packed. CPU only; the fp32
// weights stay (they are small next to activations for BERT-size models and keep state_dict()
// intact).
int quantize_linears_int8(torch::nn::Module& root, const std::vector<std::string>& skip = {},
                          Int8Engine engine = default_int8_engine());

}  // namespace berth::model
