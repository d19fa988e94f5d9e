// berth prep on the shared benchmark sets (../shared/data; skipped when absent): row counts and
// label maps computed independently with Python's csv module, dev/test prepped with
// --labels-from train.h5, and stored ids equal to BertTokenizerFast's for a sample of rows.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "data/corpus.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

namespace fs = std::filesystem;
std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

TEST(PrepSharedData, AllSetsMatchPythonOracle) {
  if (!test::shared_data_available()) GTEST_SKIP() << "no ../shared/data";
  test::TempDir d;
  nlohmann::json jobs = nlohmann::json::array();
  int corpora = 0;
  for (const char* set : {"sst2", "sst5", "trec6"}) {
    fs::path src = test::shared_data() / set;
    fs::path train_h5 = d / (std::string(set) + "-train.h5");
    for (const char* split : {"train", "dev", "test"}) {
      fs::path csv = src / (std::string(split) + ".csv");
      if (!fs::exists(csv)) continue;
      fs::path out = d / (std::string(set) + "-" + split + ".h5");
      bool train = std::string(split) == "train";
      std::string cmd = "'" + test::berth_binary() + "' prep --model " + q(test::default_model()) +
                        " --input " + q(csv) + " --out " + q(out) +
                        (train ? "" : " --labels-from " + q(train_h5));
      auto r = test::run_command(cmd);
      ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
      EXPECT_TRUE(Corpus::open(out.string()).labeled());
      nlohmann::json job = {{"corpus", out.string()},
                            {"input", csv.string()},
                            {"label_column", "label"},
                            {"sample", 400}};
      if (!train) job["labels_from"] = train_h5.string();
      jobs.push_back(job);
      ++corpora;
    }
  }
  EXPECT_EQ(corpora, 8);
  auto r = test::run_python("corpus_oracle.py --model " + q(test::default_model()), jobs.dump());
  std::cout << r.out << std::endl;
}

}  // namespace
}  // namespace berth::data
