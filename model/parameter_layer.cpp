#include "model/parameter_layer.h"

#include <algorithm>
#include <cctype>

namespace berth::model {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// "<container>N." at the start of `name` -> N, else -1.
int64_t layer_index(const std::string& name, const std::string& container) {
  if (!starts_with(name, container)) return -1;
  size_t i = container.size(), j = i;
  while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
  if (j == i || j >= name.size() || name[j] != '.') return -1;
  return std::stoll(name.substr(i, j - i));
}

std::string layer_container(ModelFamily family) {
  const std::string base = base_model_prefix(family);
  switch (family) {
    case ModelFamily::kDistilBert:
      return base + ".transformer.layer.";
    case ModelFamily::kModernBert:
      return base + ".layers.";
    default:
      return base + ".encoder.layer.";
  }
}

bool is_embedding(ModelFamily family, const std::string& name) {
  const std::string base = base_model_prefix(family);
  if (starts_with(name, base + ".embeddings")) return true;
  return family == ModelFamily::kDebertaV2 &&
         (starts_with(name, base + ".encoder.rel_embeddings.") ||
          starts_with(name, base + ".encoder.LayerNorm."));
}

}  // namespace

ParameterLayers parameter_layers(ModelFamily family, const std::vector<std::string>& names) {
  const std::string container = layer_container(family);
  ParameterLayers out;
  std::vector<int64_t> index(names.size(), -1);
  for (size_t i = 0; i < names.size(); ++i) {
    index[i] = layer_index(names[i], container);
    out.num_layers = std::max(out.num_layers, index[i] + 1);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (index[i] >= 0)
      out.depth.push_back(index[i] + 1);
    else if (is_embedding(family, names[i]))
      out.depth.push_back(0);
    else
      out.depth.push_back(out.num_layers + 1);
  }
  return out;
}

}  // namespace berth::model
