// data.truncation end to end: `berth train` preps with the configured rule (the corpus records
// it and holds exactly encode_truncated's ids), saves it in the checkpoint's config.toml, and
// `berth predict` on that checkpoint cuts texts the same way unless told otherwise. A corpus
// prepped with another rule than the config's is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "data/corpus.h"
#include "data/tokenizer.h"
#include "data/truncation.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Texts of 30 to 60 words whose class shows at their start (c0, c1) or end (c2).
std::string long_csv(int rows) {
  std::ostringstream o;
  o << "text,label\n";
  const char* filler[] = {"river", "stone", "paper", "window", "garden", "engine"};
  for (int i = 0; i < rows; ++i) {
    const int c = i % 3;
    std::string text = c == 0 ? "alpha alpha " : c == 1 ? "beta beta " : "";
    // Numbered, so that no stretch of a text repeats another (the rules then keep different ids).
    for (int w = 0; w < 30 + (i * 7) % 31; ++w)
      text += std::string(filler[(i + w) % 6]) + " " + std::to_string(w) + " ";
    if (c == 2) text += "gamma gamma";
    o << text << ",c" << c << "\n";
  }
  return o.str();
}

fs::path the_corpus(const fs::path& cache) {
  for (const auto& e : fs::directory_iterator(cache))
    if (e.path().extension() == ".h5") return e.path();
  return {};
}

TEST(LongTextRun, TruncationGoesFromConfigToCorpusCheckpointAndPredict) {
  TempDir dir;
  run_python("make_tiny_model.py '" + (dir / "tiny").string() + "' '" + default_model().string() +
             "' 3 0.0");
  write_file(dir / "train.csv", long_csv(24));
  std::ostringstream c;
  c << "[model]\npath = '" << (dir / "tiny").string() << "'\n"
    << "[data]\ntrain = '" << (dir / "train.csv").string() << "'\nbatch_size = 8\n"
    << "max_length = 16\ntruncation = 'head_tail'\nhead_tokens = 3\ncache_dir = '"
    << (dir / "cache").string() << "'\n[optim]\nlr = 1e-3\nwarmup_steps = 0\n"
    << "[train]\nmax_steps = 2\nseed = 7\nrun_dir = '" << (dir / "run").string() << "'\n"
    << "[checkpoint]\nkeep_last = 0\nkeep_best = 0\n[runtime]\nthreads = 1\n";
  write_file(dir / "run.toml", c.str());
  const std::string berth = "'" + berth_binary() + "' ";
  auto r = run_command(berth + "train --config '" + (dir / "run.toml").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The cached corpus: its attributes and ids are head_tail's.
  auto corpus = data::Corpus::open(the_corpus(dir / "cache").string());
  EXPECT_EQ(corpus.info().truncation, Truncation::kHeadTail);
  EXPECT_EQ(corpus.info().head_tokens, 3);
  auto tok = data::Tokenizer::from_directory((dir / "tiny").string());
  const data::TruncationRule rule{Truncation::kHeadTail, 3};
  std::istringstream csv(long_csv(24));
  std::string line;
  std::getline(csv, line);
  std::getline(csv, line);
  const std::string first_text = line.substr(0, line.rfind(','));
  auto first = corpus.read(int64_t{0});
  EXPECT_EQ(first.input_ids, data::encode_truncated(tok, first_text, 16, rule).ids);
  EXPECT_NE(first.input_ids, tok.encode(first_text, 16).ids);  // the rule mattered

  // The checkpoint says how texts were cut, and predict follows it.
  const fs::path ck = checkpoint_step_dir(dir / "run", 2);
  EXPECT_NE(read_file(ck / "config.toml").find("truncation = \"head_tail\""), std::string::npos);
  auto predict = [&](const std::string& extra) {
    return run_command(berth + "predict --checkpoint '" + ck.string() + "' --input '" +
                       (dir / "train.csv").string() + "' " + extra);
  };
  auto as_trained = predict("");
  ASSERT_EQ(as_trained.exit_code, 0) << as_trained.err;
  EXPECT_NE(as_trained.err.find("texts cut as in training"), std::string::npos) << as_trained.err;
  EXPECT_NE(as_trained.err.find("head_tail (first 3 + last 11 word pieces)"), std::string::npos)
      << as_trained.err;
  auto explicit_rule = predict("--max-length 16 --truncation head_tail --head-tokens 3");
  ASSERT_EQ(explicit_rule.exit_code, 0) << explicit_rule.err;
  EXPECT_EQ(as_trained.out, explicit_rule.out);
  auto head = predict("--truncation head");
  ASSERT_EQ(head.exit_code, 0) << head.err;
  EXPECT_NE(as_trained.out, head.out);

  // A corpus prepped with another rule than data.truncation says is refused, naming both.
  auto prep = run_command(berth + "prep --model '" + (dir / "tiny").string() + "' --input '" +
                          (dir / "train.csv").string() + "' --out '" + (dir / "tail.h5").string() +
                          "' --max-length 16 --truncation tail");
  ASSERT_EQ(prep.exit_code, 0) << prep.err;
  auto mismatch = run_command(berth + "train --config '" + (dir / "run.toml").string() +
                              "' --resume never --set data.train=\"" + (dir / "tail.h5").string() +
                              "\" --set train.run_dir=\"" + (dir / "run2").string() + "\"");
  EXPECT_EQ(mismatch.exit_code, 3) << mismatch.err;
  EXPECT_NE(mismatch.err.find("prepped with truncation tail"), std::string::npos) << mismatch.err;
  EXPECT_NE(mismatch.err.find("data.truncation"), std::string::npos) << mismatch.err;
}

}  // namespace
}  // namespace berth::test
