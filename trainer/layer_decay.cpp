#include "trainer/layer_decay.h"

#include <cmath>

#include "model/parameter_layer.h"

namespace berth::trainer {

std::vector<double> layer_decay_factors(model::ModelFamily family,
                                        const std::vector<std::string>& names, double decay) {
  if (decay == 1.0) return std::vector<double>(names.size(), 1.0);
  const auto layers = model::parameter_layers(family, names);
  std::vector<double> out;
  out.reserve(names.size());
  for (int64_t d : layers.depth)
    out.push_back(std::pow(decay, static_cast<double>(layers.num_layers + 1 - d)));
  return out;
}

}  // namespace berth::trainer
