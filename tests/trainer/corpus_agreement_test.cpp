// trainer/corpus_agreement: a corpus whose settings the config contradicts (max length, head
// tokens) is refused before step 1 with the key to set, and the hints of the trainer's
// on-the-fly prep name the config's keys (data.label_column, data.multi_label, data.train), not
// `berth prep`'s flags. Each case runs `berth train` on a tiny model.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class CorpusAgreement : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    run_python("make_tiny_model.py '" + (*dir_ / "tiny").string() + "' '" +
               default_model().string() + "' 3 0.0");
    write_file(*dir_ / "train.csv", learnable_csv(40));
  }
  static void TearDownTestSuite() { delete dir_; }

  // Trains `run` for one step on `train` with the tiny model; `extra` are more [data] lines.
  static CommandResult train(const std::string& run, const fs::path& train,
                             const std::string& extra = "") {
    std::ostringstream c;
    c << "[model]\npath = '" << (*dir_ / "tiny").string() << "'\n"
      << "[data]\ntrain = '" << train.string() << "'\nbatch_size = 8\ncache_dir = '"
      << (*dir_ / "cache").string() << "'\n"
      << extra << "[train]\nmax_steps = 1\nrun_dir = '" << (*dir_ / run).string()
      << "'\n[checkpoint]\nkeep_last = 0\nkeep_best = 0\n[runtime]\nthreads = 1\n";
    write_file(*dir_ / (run + ".toml"), c.str());
    return run_command("'" + berth_binary() + "' train --config '" +
                       (*dir_ / (run + ".toml")).string() + "'");
  }

  static CommandResult prep(const fs::path& out, const std::string& flags) {
    return run_command("'" + berth_binary() + "' prep --model '" + (*dir_ / "tiny").string() +
                       "' --input '" + (*dir_ / "train.csv").string() + "' --out '" + out.string() +
                       "' " + flags);
  }

  static bool trained(const std::string& run) {
    return !metrics_records(*dir_ / run, "train").empty();
  }

  static TempDir* dir_;
};

TempDir* CorpusAgreement::dir_ = nullptr;

TEST_F(CorpusAgreement, AMaxLengthTheConfigContradictsIsRefusedBeforeStepOne) {
  const fs::path corpus = *dir_ / "len64.h5";
  ASSERT_EQ(prep(corpus, "--max-length 64").exit_code, 0);
  // It used to train on 64-token examples, and the checkpoint told predict to cut at 32.
  auto r = train("len32", corpus, "max_length = 32\n");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("--max-length 64 but data.max_length is 32"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("set data.max_length = 64"), std::string::npos) << r.err;
  EXPECT_FALSE(trained("len32"));
  EXPECT_FALSE(fs::exists(*dir_ / "len32" / "checkpoints" / "latest"));
  // The same corpus under the length it was made with trains.
  auto ok = train("len64", corpus, "max_length = 64\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(trained("len64"));
}

TEST_F(CorpusAgreement, HeadTokensTheConfigContradictsAreRefused) {
  const fs::path corpus = *dir_ / "head3.h5";
  ASSERT_EQ(prep(corpus, "--max-length 32 --truncation head_tail --head-tokens 3").exit_code, 0);
  auto r = train("head5", corpus, "max_length = 32\ntruncation = 'head_tail'\nhead_tokens = 5\n");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("set data.head_tokens = 3"), std::string::npos) << r.err;
  EXPECT_FALSE(trained("head5"));
}

TEST_F(CorpusAgreement, AMissingLabelColumnHintNamesTheConfigKey) {
  write_file(*dir_ / "tags.csv", "text,tag\nsome words,a\nother words,b\n");
  auto r = train("nolabel", *dir_ / "tags.csv", "max_length = 32\n");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("no column 'label'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("set data.label_column to one of those"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--label-column"), std::string::npos) << "train has no such flag:\n"
                                                             << r.err;
}

TEST_F(CorpusAgreement, AMultiLabelTableHintNamesTheConfigKey) {
  write_file(*dir_ / "tags.jsonl",
             "{\"text\": \"some words\", \"label\": [\"a\", \"b\"]}\n"
             "{\"text\": \"other words\", \"label\": [\"b\"]}\n");
  auto r = train("multi", *dir_ / "tags.jsonl", "max_length = 32\n");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("set data.multi_label = true"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--multi-label"), std::string::npos) << "train has no such flag:\n" << r.err;
}

TEST_F(CorpusAgreement, AHeaderOnlyTableIsNamedByItsKeyNotByTheCacheFile) {
  write_file(*dir_ / "empty.csv", "text,label\n");
  auto r = train("empty", *dir_ / "empty.csv", "max_length = 32\n");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("data.train " + (*dir_ / "empty.csv").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("has no examples"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::test
