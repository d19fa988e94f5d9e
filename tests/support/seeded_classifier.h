// The 3-label classifier (labels a, b, c) that the predict, eval and int8 tests score with: the
// default encoder with a head from `seed`, scaled by `scale` so that the probabilities are far
// from uniform and differences show. Written to `dir` as a Hugging Face directory. Built here
// once for every test that needs one (they differ only in seed and scale).
#pragma once

#include <ATen/ATen.h>

#include <filesystem>

#include "model/bert_model.h"
#include "model/pretrained.h"
#include "tests/support/test_support.h"

namespace berth::test {

inline void write_seeded_classifier(const std::filesystem::path& dir, uint64_t seed, double scale) {
  model::LoadOptions o;
  o.num_labels = 3;
  o.init_seed = seed;
  auto loaded = model::load_classifier(default_model().string(), o, c10::Device(c10::kCPU));
  {
    at::NoGradGuard no_grad;
    dynamic_cast<model::BertClassifier&>(*loaded.model).classifier->weight.mul_(scale);
  }
  model::save_pretrained(dir.string(), *loaded.model, loaded.config, {"a", "b", "c"},
                         default_model().string());
}

}  // namespace berth::test
