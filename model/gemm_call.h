// What the packed GEMMs (model/packed_gemm.cpp, model/packed_int8_gemm.cpp) share around their
// kernels: the activation applied to the output tile, the epilogue a call takes, and the checks
// and allocations of a call's fp32 operands.
#pragma once

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace berth::model {

// What the kernel applies to each output tile while it is still in registers, before the store:
// the feed-forward's GELU there costs no pass over the (rows, intermediate) output.
enum class GemmActivation { kNone, kGelu };

// What a block does to its results before the store.
enum class Epilogue { kStore, kGelu, kAddResidual };

// One call's operands: the input as contiguous rows, the output, the residual (contiguous, or
// undefined).
struct GemmCall {
  at::Tensor input;     // (..., in), contiguous
  at::Tensor output;    // (..., out)
  at::Tensor residual;  // the output's shape, or undefined
  int64_t rows = 0;
  Epilogue epilogue = Epilogue::kStore;
};

// `who` names the GEMM class in the errors (internal misuse: logic_error).
inline GemmCall gemm_call(const char* who, const at::Tensor& x, const at::Tensor& residual,
                          int64_t in, int64_t out, GemmActivation activation) {
  if (x.scalar_type() != at::kFloat || !x.is_cpu() || x.size(-1) != in)
    throw std::logic_error(std::string(who) + " takes fp32 CPU input of width " +
                           std::to_string(in));
  if (residual.defined() && activation != GemmActivation::kNone)
    throw std::logic_error(std::string(who) + "::forward_add on a layer with an activation");
  GemmCall c;
  c.input = x.contiguous();
  c.rows = c.input.numel() / in;
  std::vector<int64_t> shape = c.input.sizes().vec();
  shape.back() = out;
  c.output = at::empty(shape, c.input.options());
  if (residual.defined()) {
    if (residual.scalar_type() != at::kFloat || !residual.is_cpu() ||
        residual.numel() != c.output.numel())
      throw std::logic_error(std::string(who) +
                             "::forward_add: the residual has the output's shape");
    c.residual = residual.contiguous();
  }
  c.epilogue = c.residual.defined()                  ? Epilogue::kAddResidual
               : activation == GemmActivation::kGelu ? Epilogue::kGelu
                                                     : Epilogue::kStore;
  return c;
}

}  // namespace berth::model
