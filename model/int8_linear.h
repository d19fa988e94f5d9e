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

#include <limits>
#include <memory>
#include <string>

#include "model/activation_scales.h"

namespace berth::model {

// A linear map whose weights live in a backend-specific packed form. Dense::forward calls it
// instead of at::linear when set.
class PackedLinear {
 public:
  virtual ~PackedLinear() = default;
  virtual at::Tensor forward(const at::Tensor& x) const = 0;
  // forward(x) + residual, residual of the output's shape. A backend that adds it in its GEMM's
  // epilogue saves a pass over the output; this one is the plain sum.
  virtual at::Tensor forward_add(const at::Tensor& x, const at::Tensor& residual) const {
    return forward(x) + residual;
  }
};

// Whether the module name starts with one of `prefixes`: the modules a packing leaves as they are
// (the classifier head's, head_prefixes()). Shared by every packing (int8, fp32, oneDNN).
bool under_any_prefix(const std::string& name, const std::vector<std::string>& prefixes);

// The library whose int8 GEMM runs the packed layers. kFbgemm: the small-row kernel (Berth's
// kernel where Int8Kernels::vnni_kernel, with AMX tiles where the process has them; else
// fbgemm), the default. kOnednn: oneDNN's dynamic quantized linear; kMixed packs both and picks
// per call by the number of rows (BENCHMARKS.md, "Second round: int8 on oneDNN"), the AMX CPUs'
// default until Berth's kernel ran on the tiles.
enum class Int8Engine { kFbgemm, kOnednn, kMixed };

// Int8Kernels::vnni_amx_min_rows (PackedInt8Gemm's amx_min_rows) for a kernel that never uses
// AMX tiles.
constexpr int64_t kNeverAmx = std::numeric_limits<int64_t>::max();

// How the packed int8 layers run. Converts from an Int8Engine with this CPU's defaults for the
// rest, so callers that only pick the library stay short.
struct Int8Kernels {
  Int8Kernels(Int8Engine engine = Int8Engine::kFbgemm);  // NOLINT: implicit on purpose
  Int8Engine engine;
  // kMixed: GEMMs of this many rows (tokens) or more go to oneDNN, fewer to the small-row kernel
  // (this CPU's measured crossover by default).
  int64_t onednn_min_rows;
  // fbgemm's activations in 7 bits, as quantize_dynamic uses: AVX2's (and AVX-512 without VNNI)
  // vpmaddubsw sums u8 x s8 pairs in int16 and saturates with 8-bit ones. VNNI's vpdpbusd sums
  // in int32, so false is safe there (and twice as fine), but the default stays true (see
  // Int8Kernels::Int8Kernels).
  bool fbgemm_reduce_range;
  // The same for oneDNN (which needs VNNI or AMX, where 8 bits cannot saturate): false by
  // default; 7 bits did not help accuracy without AMX (BENCHMARKS.md, "On a CPU without AMX").
  bool onednn_reduce_range;
  // Berth's own AVX-512 VNNI kernel (model/packed_int8_gemm.h) takes the GEMMs fbgemm would run,
  // with the same weights: one pass to quantize the activations, the dequantization, bias, GELU
  // or residual in the GEMM's epilogue. Default: where the CPU has AVX-512 VNNI (BENCHMARKS.md,
  // "int8 on Berth's VNNI kernel").
  bool vnni_kernel;
  // The VNNI kernel's activations: one scale per tensor (fbgemm's scheme, to the bit with
  // vnni_reduce_range) or per row (token); in 7 bits or 8 (vpdpbusd cannot saturate). Default
  // per row, 8 bits.
  ActivationScales vnni_scales;
  bool vnni_reduce_range;
  // Calls of this many rows or more run the VNNI kernel's sums on AMX int8 tiles
  // (model/amx_int8_tiles.h) where the process may use them; kNeverAmx: never. Default: this
  // CPU's measured crossover where it has AMX int8.
  int64_t vnni_amx_min_rows;
};

// This CPU's choice: the small-row kernel alone (Berth's, with AMX tiles from 12 rows where the
// process has them; fbgemm without AVX-512 VNNI). oneDNN (kMixed) had been the AMX CPUs'
// default until Berth's kernel ran on the tiles. Measured per ISA: BENCHMARKS.md, "Second round:
// int8 on oneDNN", "On a CPU without AMX (no_amx)", "int8 on Berth's VNNI kernel" and "Fifth
// round: int8 on AMX tiles".
Int8Kernels default_int8_kernels();

// What runs, for the log: "Berth's kernel (AMX tiles from 12 rows, 8-bit activations, one range a
// token)", "fbgemm (7-bit activations, one range a call)", or either below N rows with oneDNN
// from there.
std::string describe(const Int8Kernels& kernels);
Int8Engine default_int8_engine();

// Packs one fp32 (out, in) weight and its (out) bias for the int8 kernel. gelu: the layer's
// output goes through the erf GELU (in the VNNI kernel's epilogue, or after the library's GEMM).
std::shared_ptr<const PackedLinear> pack_int8_linear(const at::Tensor& weight,
                                                     const at::Tensor& bias,
                                                     Int8Kernels kernels = default_int8_kernels(),
                                                     bool gelu = false);

// Each output channel's int8 scale of an fp32 (out, in) weight: max |w| / 127 of its row, the
// one quantization every int8 kernel's weights share. (out) fp32.
at::Tensor int8_weight_scales(const at::Tensor& weight);

// Whether this LibTorch build has the fbgemm int8 kernels (x86-64 CPUs with AVX2 or newer).
bool int8_supported();

// Gives every linear layer (Dense; ModernBERT's ModernBertLinear) inside `root` whose name does not
// start with one of `skip` a packed int8 weight; a BERT feed-forward with the erf GELU applies it
// in its packed layer (activation_in_dense). Returns how many were packed. CPU only; the fp32
// weights stay (they are small next to activations for BERT-size models and keep state_dict()
// intact).
int quantize_linears_int8(torch::nn::Module& root, const std::vector<std::string>& skip = {},
                          Int8Kernels kernels = default_int8_kernels());

}  // namespace berth::model
