// Bytes -> the corpus reader (an HDF5 file from `berth prep`; the seed is a small valid corpus
// written by data::CorpusWriter, see make_corpus_seed.cpp, which libFuzzer mutates): open() and
// reading every example succeed or throw a berth::Error. HDF5 itself is not instrumented; a
// crash inside it still stops the run.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/corpus.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/berth-fuzz-" + std::to_string(getpid()) + ".h5";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  // Both read paths: everything loaded at open, and per-call hyperslab reads.
  for (int64_t preload : {int64_t{1} << 30, int64_t{0}}) {
    try {
      berth::data::CorpusOpenOptions o;
      o.preload_bytes = preload;
      auto corpus = berth::data::Corpus::open(path, o);
      if (corpus.size() > 100000) continue;  // a header may claim anything; validated already
      std::vector<int64_t> all(static_cast<size_t>(corpus.size()));
      std::iota(all.begin(), all.end(), 0);
      auto examples = corpus.read(all);
      for (size_t i = 0; i < examples.size(); ++i) {
        const auto& e = examples[i];
        if (static_cast<int64_t>(e.input_ids.size()) != corpus.length(static_cast<int64_t>(i)))
          std::abort();
        if (e.label >= static_cast<int32_t>(corpus.label_names().size())) std::abort();
      }
    } catch (const berth::Error&) {
    }
  }
  return 0;
}
