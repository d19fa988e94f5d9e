// The features beside plain training, each through the berth binary on one family other than BERT
// (a spread, not every feature times every family: the trainer, predictor and server see only
// model/sequence_classifier.h): int8 predict on ModernBERT, long texts in windows on XLM-R,
// multi-label on DeBERTa-v3, stop + resume on DistilBERT, bf16 on ELECTRA, 2 ranks under mpirun
// on RoBERTa, serve and report on ModernBERT. Each model carries its own tokenizer.json
// (family_run_util.h).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/launcher/family_run_util.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class FamilyFeature : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!shared_data_available()) GTEST_SKIP() << "no ../shared/data";
    ASSERT_FALSE(family_tokenizers().empty()) << "make_family_tokenizers.py failed";
  }
  std::string berth() const { return "'" + berth_binary() + "'"; }
  // A tiny model of `family` and a run config training it on learnable_csv(48) (or `train_csv`).
  void prepare(const std::string& family, const std::string& problem_type = "",
               const std::string& train_csv = "") {
    make_family_checkpoint(family, dir_ / "model", 3, problem_type);
    write_file(dir_ / "train.csv", train_csv.empty() ? learnable_csv(48) : train_csv);
    std::ostringstream c;
    c << "[model]\npath = '" << (dir_ / "model").string() << "'\n"
      << "[data]\ntrain = '" << (dir_ / "train.csv").string() << "'\nbatch_size = 8\n"
      << "max_length = 32\ncache_dir = '" << (dir_ / "cache").string() << "'\n"
      << (problem_type.empty() ? "" : "multi_label = true\n")
      << "[optim]\nlr = 3e-3\nwarmup_steps = 2\n"
      << "[train]\nmax_steps = 6\nlog_every = 1\nseed = 7\n"
      << "[checkpoint]\nkeep_last = 0\nkeep_best = 0\n[runtime]\nthreads = 1\n";
    write_file(dir_ / "run.toml", c.str());
  }
  CommandResult train(const std::string& run, const std::string& args = "",
                      const std::string& launcher = "") {
    return run_command(launcher + berth() + " train --config " + quoted(dir_ / "run.toml") +
                       " --set train.run_dir=" + quoted(dir_ / run) + " " + args);
  }
  TempDir dir_;
};

// int8 packs ModernBERT's own linear maps (17 in the tiny model: 4 layers x Wqkv, Wo, Wi, Wo and
// the head's dense) and predicts close to fp32.
TEST_F(FamilyFeature, ModernBertInt8PredictIsCloseToFp32) {
  prepare("modernbert");
  write_file(dir_ / "dev.csv", learnable_csv(9));
  const std::string predict = berth() + " predict --checkpoint " + quoted(dir_ / "model") +
                              " --input " + quoted(dir_ / "dev.csv") + " --max-length 32";
  auto fp32 = run_command(predict);
  ASSERT_EQ(fp32.exit_code, 0) << fp32.err;
  auto int8 = run_command(predict + " --precision int8");
  ASSERT_EQ(int8.exit_code, 0) << int8.err;
  EXPECT_NE(int8.err.find("int8: 17 linear layers quantised"), std::string::npos) << int8.err;
  std::istringstream a(fp32.out), b(int8.out);
  double worst = 0;
  bool differs = false;
  int rows = 0;
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb); ++rows) {
    auto ja = json::parse(la)["probs"], jb = json::parse(lb)["probs"];
    for (auto& [k, v] : ja.items()) {
      worst = std::max(worst, std::abs(v.get<double>() - jb[k].get<double>()));
      differs |= v.get<double>() != jb[k].get<double>();
    }
  }
  EXPECT_EQ(rows, 9);
  std::cout << "modernbert int8 vs fp32 predict: max abs diff of probabilities " << worst
            << std::endl;
  EXPECT_TRUE(differs);  // the int8 kernels ran
  EXPECT_LT(worst, 0.02);
}

// Texts longer than --max-length in overlapping windows (XLM-R's Unigram tokenizer, <s> ... </s>
// windows) against transformers' return_overflowing_tokens windows.
TEST_F(FamilyFeature, XlmRobertaWindowsMatchTransformers) {
  prepare("xlm-roberta");
  std::string csv = "text,label\n";
  for (int i = 0; i < 5; ++i) {
    std::string t;
    for (int w = 0; w < 10 + 17 * i; ++w) t += std::string(w ? " " : "") + "word" + "xyz"[w % 3];
    csv += "\"" + t + " café naïve\",c" + std::to_string(i % 3) + "\n";
  }
  write_file(dir_ / "long.csv", csv);
  auto r = run_command(berth() + " predict --checkpoint " + quoted(dir_ / "model") + " --input " +
                       quoted(dir_ / "long.csv") + " --max-length 16 --windows 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto hf = json::parse(run_python("model_oracle.py predict_windows " + quoted(dir_ / "model") +
                                   " " + quoted(dir_ / "long.csv") + " 16 4 mean")
                            .out);
  std::istringstream lines(r.out);
  size_t i = 0;
  double worst = 0;
  for (std::string l; std::getline(lines, l); ++i) {
    ASSERT_LT(i, hf.size());
    auto row = json::parse(l);
    for (int k = 0; k < 3; ++k)
      worst = std::max(worst, std::abs(row["probs"]["c" + std::to_string(k)].get<double>() -
                                       hf[i]["probs"][k].get<double>()));
  }
  EXPECT_EQ(i, 5u);
  EXPECT_GT(hf[4]["windows"].get<int>(), 3);  // the long texts did make several windows
  std::cout << "xlm-roberta --windows 4 vs transformers: max abs diff " << worst << std::endl;
  EXPECT_LE(worst, 1e-5);
}

// Multi-label on DeBERTa-v3 (its Unigram tokenizer): train, then predict's sigmoid scores on the
// checkpoint against transformers' on the same checkpoint.
TEST_F(FamilyFeature, DebertaMultiLabelTrainsAndPredictsLikeTransformers) {
  std::string csv = "text,label\n";
  std::istringstream rows(learnable_csv(48));
  std::string line;
  std::getline(rows, line);
  for (int i = 0; std::getline(rows, line); ++i)
    csv += line.substr(0, line.rfind(',')) + "," + (i % 2 ? "c0|c2" : "c1") + "\n";
  prepare("deberta-v2", "multi_label_classification", csv);
  auto t = train("run");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const fs::path ckpt = checkpoint_step_dir(dir_ / "run", 6);
  EXPECT_EQ(json::parse(read_file(ckpt / "config.json"))["problem_type"],
            "multi_label_classification");
  write_file(dir_ / "dev.csv", learnable_csv(9));
  auto p = run_command(berth() + " predict --checkpoint " + quoted(ckpt) + " --input " +
                       quoted(dir_ / "dev.csv") + " --max-length 32");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const double worst = predict_diff_vs_transformers(p.out, ckpt, dir_ / "dev.csv", 32, 9, 3);
  std::cout << "deberta-v2 multi-label predict vs transformers: max abs diff " << worst
            << std::endl;
  EXPECT_LE(worst, 1e-5);
}

std::map<int64_t, double> expect_steps(const fs::path& run, size_t n) {
  auto l = train_losses(run);
  EXPECT_EQ(l.size(), n) << run;
  for (auto& [s, v] : l) EXPECT_TRUE(std::isfinite(v)) << run << " step " << s;
  return l;
}

// DistilBERT stopped after step 3 and resumed continues exactly as the run that never stopped.
TEST_F(FamilyFeature, DistilBertResumeAfterStopIsExact) {
  prepare("distilbert");
  ASSERT_EQ(train("full").exit_code, 0);
  auto stopped = train("stopped", "--stop-after-step 3");
  ASSERT_EQ(stopped.exit_code, 75) << stopped.err;  // ExitCode::kStopped
  auto resumed = train("stopped");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resumed from"), std::string::npos) << resumed.err;
  auto a = expect_steps(dir_ / "full", 6), b = expect_steps(dir_ / "stopped", 6);
  for (auto& [s, v] : a) EXPECT_EQ(v, b[s]) << "step " << s;
}

// ELECTRA in bf16 autocast on the CPU trains (finite losses close to fp32's first one) and its
// checkpoint predicts.
TEST_F(FamilyFeature, ElectraBf16TrainsOnCpu) {
  prepare("electra");
  ASSERT_EQ(train("fp32").exit_code, 0);
  auto r = train("bf16", "--set train.precision=bf16");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = expect_steps(dir_ / "fp32", 6), b = expect_steps(dir_ / "bf16", 6);
  EXPECT_NEAR(b[1], a[1], 0.05);
  EXPECT_NE(b[1], a[1]);  // bf16 did run
}

// RoBERTa on 2 ranks of batch 8 under mpirun: the same run as one rank of batch 16.
TEST_F(FamilyFeature, RobertaTwoRanksMatchOneRank) {
  if (run_command("command -v mpirun").exit_code != 0) GTEST_SKIP() << "no mpirun";
  prepare("roberta");
  ASSERT_EQ(train("one", "--set data.batch_size=16").exit_code, 0);
  auto r = train("two", "",
                 "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 "
                 "--oversubscribe --bind-to none ");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("2 rank(s) via mpi"), std::string::npos) << r.err;
  auto a = expect_steps(dir_ / "one", 6), b = expect_steps(dir_ / "two", 6);
  for (auto& [s, v] : a) EXPECT_NEAR(v, b[s], 1e-4) << "step " << s;
}

// A trained ModernBERT run: `berth report` renders it, and `berth serve` answers /predict with
// berth predict's scores.
TEST_F(FamilyFeature, ModernBertServeAnswersPredictAndReportRendersTheRun) {
  prepare("modernbert");
  ASSERT_EQ(train("run").exit_code, 0);
  const fs::path ckpt = checkpoint_step_dir(dir_ / "run", 6);
  auto report = run_command(berth() + " report " + quoted(dir_ / "run") + " --output " +
                            quoted(dir_ / "report.html"));
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_GT(fs::file_size(dir_ / "report.html"), 1000u);

  const std::string text = "sunny bright warm beach";
  write_file(dir_ / "one.txt", text + "\n");
  auto p = run_command(berth() + " predict --checkpoint " + quoted(ckpt) + " --input " +
                       quoted(dir_ / "one.txt") + " --max-length 32");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const json want = json::parse(p.out)["probs"];
  const fs::path port = dir_ / "port";
  auto s = run_command(
      berth() + " serve --checkpoint " + quoted(ckpt) + " --port 0 --port-file " + quoted(port) +
      " --threads 1 2>" + quoted(dir_ / "serve.log") + " & pid=$!; for i in $(seq 1200); do " +
      "[ -s " + quoted(port) + " ] && break; sleep 0.1; done; curl -s -X POST -H " +
      "'Content-Type: application/json' -d '{\"inputs\": \"" + text + "\"}' " +
      "http://127.0.0.1:$(cat " + quoted(port) + ")/predict; kill $pid; wait $pid");
  auto answer = json::parse(s.out, nullptr, false);
  ASSERT_TRUE(answer.is_array() && answer.size() == 3u) << s.out << read_file(dir_ / "serve.log");
  for (const auto& entry : answer)
    EXPECT_NEAR(entry["score"].get<double>(), want[entry["label"].get<std::string>()].get<double>(),
                1e-5);
}

}  // namespace
}  // namespace berth::test
