#include "model/fast_dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/DistributionsHelper.h>

#include <atomic>
#include <cmath>
#include <mutex>

namespace berth::model {

namespace {

std::atomic<bool> g_enabled{true};

// splitmix64's finaliser: a bijective mix whose outputs for consecutive inputs pass BigCrush.
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

template <typename T>
void fill_mask(T* out, int64_t n, double p, uint64_t seed) {
  // Element i is dropped when its 32-bit draw u < p * 2^32: probability p to within 2^-32.
  const auto threshold = static_cast<uint64_t>(std::llround(p * 4294967296.0));
  const T keep = static_cast<T>(1.0 / (1.0 - p));
  const T drop = static_cast<T>(0.0);
  const uint64_t base = mix(seed);
  // Two elements per 64-bit draw; blocks of an even size so that a pair never straddles two.
  at::parallel_for(0, (n + 1) / 2, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const uint64_t r = mix(base + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(j + 1));
      const int64_t i = 2 * j;
      out[i] = (r & 0xffffffffULL) < threshold ? drop : keep;
      if (i + 1 < n) out[i + 1] = (r >> 32) < threshold ? drop : keep;
    }
  });
}

uint64_t draw_seed() {
  auto* gen = at::get_generator_or_default<at::CPUGeneratorImpl>(
      std::nullopt, at::detail::getDefaultCPUGenerator());
  std::lock_guard<std::mutex> lock(gen->mutex_);
  return gen->random64();
}

}  // namespace

void set_fast_dropout(bool enabled) {
  g_enabled = enabled;
}
bool fast_dropout_enabled() {
  return g_enabled;
}

at::Tensor dropout_mask(const at::Tensor& like, double p, uint64_t seed) {
  at::Tensor mask = at::empty(
      like.sizes(), like.options().memory_format(at::MemoryFormat::Contiguous));  // like's shape
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kBFloat16, at::kHalf, mask.scalar_type(), "dropout_mask",
      [&] { fill_mask(mask.data_ptr<scalar_t>(), mask.numel(), p, seed); });
  return mask;
}

at::Tensor dropout(const at::Tensor& x, double p, bool train) {
  if (!train || p <= 0.0) return x;
  if (!g_enabled || !x.is_cpu() || p >= 1.0 || !at::isFloatingType(x.scalar_type()))
    return at::dropout(x, p, train);
  // The mask needs no gradient; autograd differentiates the product (grad * mask).
  at::Tensor mask;
  {
    at::NoGradGuard no_grad;
    mask = dropout_mask(x, p, draw_seed());
  }
  return x * mask;
}

}  // namespace berth::model
