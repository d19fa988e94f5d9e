// What the end-to-end family tests (family_run_test.cpp, family_features_test.cpp) share: each
// family's own tokenizer trained on the shared corpora (tests/python/make_family_tokenizers.py),
// made once per build, and a tiny random model of the family sized to it
// (tests/python/family_oracle.py create), as a user would bring one.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace berth::test {

inline std::string quoted(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

// The tokenizers of every family, trained once per build into a folder beside the berth binary
// (keyed by the generator script's content, published by an atomic rename so that parallel test
// processes reuse one another's); empty when ../shared/data is absent or training failed.
inline std::filesystem::path family_tokenizers() {
  namespace fs = std::filesystem;
  if (!shared_data_available()) return {};
  std::ifstream script(source_dir() / "tests" / "python" / "make_family_tokenizers.py");
  std::stringstream content;
  content << script.rdbuf();
  const fs::path cache =
      fs::path(berth_binary()).parent_path() / "test-cache" /
      ("family-run-tokenizers-" + std::to_string(std::hash<std::string>{}(content.str())));
  if (!fs::exists(cache / "roberta" / "tokenizer.json")) {
    fs::create_directories(cache.parent_path());
    const fs::path tmp = cache.string() + ".tmp." + std::to_string(getpid());
    fs::remove_all(tmp);
    std::string args;
    for (const char* f : {"sst2/train.csv", "sst2/dev.csv", "sst2/test.csv", "sst5/train.csv",
                          "sst5/dev.csv", "sst5/test.csv", "trec6/train.csv", "trec6/test.csv"})
      args += " " + quoted(shared_data() / f);
    auto r = run_python("make_family_tokenizers.py " + quoted(tmp) + args);
    if (r.exit_code != 0) return {};
    std::error_code ec;
    fs::rename(tmp, cache, ec);  // another process may have published it first: use that
    fs::remove_all(tmp, ec);
  }
  return fs::exists(cache / "roberta" / "tokenizer.json") ? cache : fs::path();
}

// A tiny random classifier of `family` (a model_type) with the family's own tokenizer (BERT:
// models/default's WordPiece), written to `dir`.
inline void make_family_checkpoint(const std::string& family, const std::filesystem::path& dir,
                                   int num_labels, const std::string& problem_type = "") {
  const auto tokenizer = family == "bert" ? default_model() : family_tokenizers() / family;
  run_python("family_oracle.py create " + family + " " + quoted(tokenizer) + " " + quoted(dir) +
             " " + std::to_string(num_labels) + (problem_type.empty() ? "" : " " + problem_type));
}

// berth predict's JSON lines against transformers' probabilities on the same checkpoint and
// texts (family_oracle.py predict): the largest absolute difference.
inline double predict_diff_vs_transformers(const std::string& predict_out,
                                           const std::filesystem::path& checkpoint,
                                           const std::filesystem::path& csv, int max_length,
                                           size_t rows, int labels) {
  auto hf = nlohmann::json::parse(run_python("family_oracle.py predict " + quoted(checkpoint) +
                                             " " + quoted(csv) + " " + std::to_string(max_length))
                                      .out);
  std::istringstream lines(predict_out);
  size_t i = 0;
  double worst = 0;
  for (std::string l; std::getline(lines, l); ++i) {
    auto row = nlohmann::json::parse(l);
    if (i >= hf.size()) break;
    for (int k = 0; k < labels; ++k)
      worst = std::max(worst, std::abs(row["probs"]["c" + std::to_string(k)].get<double>() -
                                       hf[i][k].get<double>()));
  }
  EXPECT_EQ(i, rows);
  EXPECT_EQ(hf.size(), rows);
  return worst;
}

}  // namespace berth::test
