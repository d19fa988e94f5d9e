// fp32 linear maps at inference shapes: at::linear (MKL sgemm, which packs the weight on every
// call) against model::PackedGemm (weights packed once), interleaved in one process.
//
// usage: packed_gemm_ab [THREADS=1] [ROUNDS=5] [ROWS=1,8,25,64,256,960] [fp32|int8|amx]
// int8: fbgemm's dynamic quantized linear (model::pack_int8_linear, 7-bit activations) against
// Berth's VNNI kernel (the same with Int8Kernels::vnni_kernel, without AMX tiles), in place of
// the fp32 pair. amx: oneDNN's dynamic quantized linear (its AMX kernel, 8-bit activations per
// tensor) against Berth's kernel on AMX tiles at every row count (per token, 8 bits). tiles:
// Berth's kernel on vpdpbusd against the same on AMX tiles (where Int8Kernels::vnni_amx_min_rows
// should sit).
// For each (rows, out, in) of the default model's linear maps (384 -> 1152 fused q/k/v,
// 384 -> 384, 384 -> 1536, 1536 -> 384) prints the median microseconds per call of each side
// over ROUNDS interleaved rounds, their ratio, and the largest difference of the outputs.
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "model/amx_int8_tiles.h"
#include "model/int8_linear.h"
#include "model/packed_gemm.h"
#include "model/packed_int8_gemm.h"

namespace {

double time_us(const std::function<void()>& f, int reps) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / reps;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::stoi(argv[1]) : 1;
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 5;
  std::vector<int64_t> row_counts = {1, 8, 25, 64, 256, 960};
  if (argc > 3) {
    row_counts.clear();
    std::stringstream in(argv[3]);
    for (std::string s; std::getline(in, s, ',');) row_counts.push_back(std::stoll(s));
  }
  const std::string mode = argc > 4 ? argv[4] : "fp32";
  const bool tiles = mode == "tiles", amx = mode == "amx" || tiles;
  const bool int8 = mode == "int8" || amx;
  if (amx && !berth::model::amx_int8_tiles_usable()) {
    std::fprintf(stderr, "this process has no AMX int8 tiles\n");
    return 2;
  }
  if (int8 && !berth::model::packed_int8_gemm_supported()) {
    std::fprintf(stderr, "this CPU has no AVX-512 VNNI: PackedInt8Gemm does not run here\n");
    return 2;
  }
  if (!berth::model::packed_gemm_supported()) {
    std::fprintf(stderr, "this CPU has no AVX-512F: PackedGemm does not run here\n");
    return 2;
  }
  at::set_num_threads(threads);
  at::manual_seed(0);
  const std::vector<std::pair<int64_t, int64_t>> maps = {
      {1152, 384}, {384, 384}, {1536, 384}, {384, 1536}};
  std::printf(
      tiles ? "| rows | out x in | vpdpbusd us | AMX tiles us | vpdpbusd / AMX | max abs diff |\n"
      : amx ? "| rows | out x in | oneDNN us | Berth AMX us | oneDNN / Berth | max abs diff |\n"
      : int8
          ? "| rows | out x in | fbgemm us | VNNI kernel us | fbgemm / VNNI | max abs diff |\n"
          : "| rows | out x in | at::linear us | packed us | linear / packed | max abs diff |\n");
  std::printf("| ---: | --- | ---: | ---: | ---: | ---: |\n");
  for (int64_t rows : row_counts) {
    for (auto [out, in] : maps) {
      const at::Tensor w = at::randn({out, in}) * 0.05, b = at::randn({out}),
                       x = at::randn({rows, in});
      berth::model::Int8Kernels fbgemm(berth::model::Int8Engine::kFbgemm), vnni = fbgemm;
      fbgemm.vnni_kernel = false, vnni.vnni_kernel = true;
      vnni.vnni_amx_min_rows = berth::model::kNeverAmx;
      if (tiles) {
        fbgemm = vnni;  // the same kernel without AMX
        vnni.vnni_amx_min_rows = 1;
      } else if (amx) {
        fbgemm = berth::model::Int8Kernels(berth::model::Int8Engine::kOnednn);
        vnni.vnni_amx_min_rows = 1;
      }
      // base: at::linear or fbgemm; ours: PackedGemm or the VNNI kernel.
      std::shared_ptr<const berth::model::PackedLinear> kernel =
          int8 ? berth::model::pack_int8_linear(w, b, vnni)
               : std::make_shared<berth::model::PackedGemm>(w, b);
      std::shared_ptr<const berth::model::PackedLinear> base_int8 =
          int8 ? berth::model::pack_int8_linear(w, b, fbgemm) : nullptr;
      auto base = [&] { return int8 ? base_int8->forward(x) : at::linear(x, w, b); };
      const auto& packed = *kernel;
      const double diff = (packed.forward(x) - base()).abs().max().item<double>();
      const double flops = 2.0 * rows * out * in;
      const int reps = std::max(20, static_cast<int>(4e8 / flops));  // >= 20 calls a side
      std::vector<double> mkl, ours;
      for (int r = 0; r < rounds; ++r) {
        mkl.push_back(time_us([&] { base(); }, reps));
        ours.push_back(time_us([&] { packed.forward(x); }, reps));
      }
      std::printf("| %lld | %lld x %lld | %.1f (%.1f-%.1f) | %.1f (%.1f-%.1f) | %.2fx | %.1e |\n",
                  static_cast<long long>(rows), static_cast<long long>(out),
                  static_cast<long long>(in), median(mkl),
                  *std::min_element(mkl.begin(), mkl.end()),
                  *std::max_element(mkl.begin(), mkl.end()), median(ours),
                  *std::min_element(ours.begin(), ours.end()),
                  *std::max_element(ours.begin(), ours.end()), median(mkl) / median(ours), diff);
    }
  }
  return 0;
}
