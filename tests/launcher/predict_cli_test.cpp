// `berth predict` and `berth eval` end to end: file → tokenizer → model → output, against
// Hugging Face's AutoTokenizer + AutoModelForSequenceClassification on the same file; eval on
// corpora made by `berth prep` (.h5), and the errors of both commands.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/seeded_classifier.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

using nlohmann::json;

// A 3-label model (labels a, b, c) on the default encoder. The seeded head is scaled up so the
// probabilities are far from uniform and differences would show.
class PredictCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    write_seeded_classifier(*dir_ / "model", /*seed=*/99, /*scale=*/60);
    write_file(*dir_ / "in.csv",
               "text,label\n"
               "\"a stirring , funny and finally transporting re-imagining\",a\n"
               "apparently reassembled from the cutting-room floor .,b\n"
               "\"Quotes \"\"inside\"\", commas, and ÜNICODE façade — naïve\",c\n"
               "short,2\n"
               "\"" +
                   std::string(300, 'x') + " " + std::string(40, 'y') + " long\",a\n");
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string berth(const std::string& args) { return "'" + berth_binary() + "' " + args; }
  static std::string model_dir() { return (*dir_ / "model").string(); }
  static std::string input() { return (*dir_ / "in.csv").string(); }
  static std::vector<json> lines_of(const std::string& out) {
    std::vector<json> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
    return lines;
  }
  static double max_prob_diff(const std::vector<json>& x, const std::vector<json>& y) {
    double worst = 0;
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
      for (const auto& name : {"a", "b", "c"})
        worst = std::max(
            worst, std::abs(x[i]["probs"][name].get<double>() - y[i]["probs"][name].get<double>()));
    return worst;
  }
  // `berth prep` of a labelled CSV into a corpus; returns the command's result.
  static CommandResult prep(const std::string& model, const std::filesystem::path& csv,
                            const std::filesystem::path& out, const std::string& extra = "") {
    return run_command(berth("prep --model '" + model + "' --input '" + csv.string() + "' --out '" +
                             out.string() + "' --label-column label " + extra));
  }

  static TempDir* dir_;
};
TempDir* PredictCli::dir_ = nullptr;

// predict ends without LibTorch's static teardown (common/fast_exit.h): everything it writes, to
// a pipe or a file, and its summary line must still be there, the same as with the teardown.
TEST_F(PredictCli, FastExitLosesNoOutput) {
  const std::string args = "predict --checkpoint '" + model_dir() + "' --input '" + input() + "'";
  auto fast = run_command(berth(args));
  auto slow = run_command("BERTH_FAST_EXIT=0 " + berth(args));
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  ASSERT_EQ(slow.exit_code, 0) << slow.err;
  EXPECT_EQ(lines_of(fast.out).size(), 5u);
  EXPECT_EQ(fast.out, slow.out);
  EXPECT_NE(fast.err.find("5 texts"), std::string::npos) << fast.err;
  const auto file = (*dir_ / "fast_exit.jsonl").string();
  auto to_file = run_command(berth(args + " --output '" + file + "'"));
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(read_file(file), fast.out);
}

TEST_F(PredictCli, PredictMatchesTransformers) {
  auto r = run_command(berth("predict --checkpoint '" + model_dir() + "' --input '" + input() +
                             "' --max-length 32 --batch-size 2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 5u);

  auto hf = json::parse(
      run_python("model_oracle.py predict '" + model_dir() + "' '" + input() + "' 32").out);
  ASSERT_EQ(hf.size(), 5u);
  double worst = 0;
  const std::vector<std::string> names = {"a", "b", "c"};
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["row"], i + 1);
    double sum = 0, best = -1;
    std::string best_name;
    for (size_t k = 0; k < 3; ++k) {
      double p = lines[i]["probs"][names[k]].get<double>();
      worst = std::max(worst, std::abs(p - hf[i][k].get<double>()));
      sum += p;
      if (p > best) best = p, best_name = names[k];
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_EQ(lines[i]["label"], best_name);
    EXPECT_DOUBLE_EQ(lines[i]["score"].get<double>(), best);
  }
  std::cout << "berth predict vs transformers: max abs diff of probabilities " << worst
            << std::endl;
  EXPECT_LE(worst, 1e-5);
}

TEST_F(PredictCli, EvalReportsMetricsConsistentWithPredict) {
  auto p =
      run_command(berth("predict --checkpoint '" + model_dir() + "' --input '" + input() + "'"));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const std::vector<std::string> truth = {"a", "b", "c", "c", "a"};  // "2" is class id 2
  int correct = 0, i = 0;
  std::istringstream in(p.out);
  for (std::string l; std::getline(in, l); ++i) correct += json::parse(l)["label"] == truth[i];

  TempDir tmp;
  auto r = run_command(berth("eval --checkpoint '" + model_dir() + "' --input '" + input() +
                             "' --output '" + (tmp / "report.json").string() + "'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["total"], 5);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), correct / 5.0);
  EXPECT_EQ(j["labels"], json({"a", "b", "c"}));
  EXPECT_EQ(j["per_class"]["c"]["support"], 2);
  EXPECT_GT(j["loss"].get<double>(), 0.0);
  EXPECT_EQ(json::parse(read_file(tmp / "report.json")), j);
}

// On a terminal (`script` gives it one) eval prints a table; --json keeps the JSON there.
TEST_F(PredictCli, EvalPrintsATableOnATerminalAndJsonWithJsonFlag) {
  auto eval = berth("eval --checkpoint '" + model_dir() + "' --input '" + input() + "'");
  auto table = run_command("script -qefc \"" + eval + "\" /dev/null");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("precision     recall         F1    support"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("confusion matrix"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("\"per_class\""), std::string::npos) << table.out;
  auto j = run_command("script -qefc \"" + eval + " --json\" /dev/null");
  ASSERT_EQ(j.exit_code, 0) << j.out;
  EXPECT_NE(j.out.find("\"per_class\""), std::string::npos) << j.out;
}

// --model stays an alias of --checkpoint; --threads 1 gives the same predictions as all cores.
TEST_F(PredictCli, ModelAliasAndOneThread) {
  auto all = run_command(
      berth("predict --checkpoint '" + model_dir() + "' --input '" + input() + "' --threads 0"));
  ASSERT_EQ(all.exit_code, 0) << all.err;
  auto one = run_command(
      berth("predict --model '" + model_dir() + "' --input '" + input() + "' --threads 1"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto a = lines_of(all.out), o = lines_of(one.out);
  ASSERT_EQ(a.size(), 5u);
  ASSERT_EQ(o.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(o[i]["row"], i + 1);
    EXPECT_EQ(o[i]["label"], a[i]["label"]);
  }
  EXPECT_LE(max_prob_diff(a, o), 1e-5);
  auto bad = run_command(
      berth("predict --checkpoint '" + model_dir() + "' --input '" + input() + "' --threads -1"));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// Predict sorts by length inside a window and streams window by window: texts of very different
// lengths over several windows (batch 3 → windows of 96 records) come back in input order, each
// with the prediction transformers gives it, and the throughput is reported on stderr.
TEST_F(PredictCli, OrderPreservedAcrossLengthsAndWindows) {
  TempDir tmp;
  std::string csv = "text\n";
  const std::vector<std::string> words = {"funny", "dull", "moving", "tedious", "bright"};
  for (int i = 0; i < 200; ++i) {
    // Lengths from 1 to ~90 words, in a scrambled order so that sorting really moves records.
    const int n = 1 + (i * 37) % 91;
    std::string t = "row" + std::to_string(i);
    for (int w = 0; w < n; ++w) t += " " + words[(i + w) % words.size()];
    csv += "\"" + t + "\"\n";
  }
  write_file(tmp / "lengths.csv", csv);
  auto r = run_command(berth(
      "predict --checkpoint '" + model_dir() + "' --input '" + (tmp / "lengths.csv").string() +
      "' --max-length 64 --batch-size 3 --output '" + (tmp / "out.jsonl").string() + "'"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("texts/s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tokens/s"), std::string::npos) << r.err;
  auto lines = lines_of(read_file(tmp / "out.jsonl"));
  ASSERT_EQ(lines.size(), 200u);
  auto hf = json::parse(run_python("model_oracle.py predict '" + model_dir() + "' '" +
                                   (tmp / "lengths.csv").string() + "' 64")
                            .out);
  ASSERT_EQ(hf.size(), 200u);
  double worst = 0;
  const std::vector<std::string> names = {"a", "b", "c"};
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["row"], i + 1);
    for (size_t k = 0; k < 3; ++k)
      worst = std::max(
          worst, std::abs(lines[i]["probs"][names[k]].get<double>() - hf[i][k].get<double>()));
  }
  EXPECT_LE(worst, 1e-5);
}

// Eval on a prep corpus: labels mapped by name (the corpus's own label order differs from the
// checkpoint's), same report as on the CSV it came from at the same max length; also with a
// corpus prepped with --labels-from.
TEST_F(PredictCli, EvalOnCorpusMatchesCsv) {
  TempDir tmp;
  // Only labels c and b: the corpus's label map is [b, c], the checkpoint's [a, b, c].
  write_file(tmp / "bc.csv",
             "text,label\n"
             "a stirring and funny re-imagining,c\n"
             "apparently reassembled from the cutting-room floor,b\n"
             "the worst film of the year,b\n"
             "a bright and moving story,c\n"
             "dull and far too long,c\n");
  write_file(tmp / "abc.csv", "text,label\none,a\ntwo,b\nthree,c\n");
  ASSERT_EQ(prep(model_dir(), tmp / "bc.csv", tmp / "bc.h5", "--max-length 32").exit_code, 0);
  ASSERT_EQ(prep(model_dir(), tmp / "abc.csv", tmp / "abc.h5", "--max-length 32").exit_code, 0);
  auto lf = prep(model_dir(), tmp / "bc.csv", tmp / "bc_from.h5",
                 "--max-length 32 --labels-from '" + (tmp / "abc.h5").string() + "'");
  ASSERT_EQ(lf.exit_code, 0) << lf.err;

  auto csv = run_command(berth("eval --checkpoint '" + model_dir() + "' --input '" +
                               (tmp / "bc.csv").string() + "' --max-length 32"));
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  auto want = json::parse(csv.out);
  EXPECT_EQ(want["total"], 5);
  EXPECT_EQ(want["per_class"]["b"]["support"], 2);
  EXPECT_EQ(want["per_class"]["c"]["support"], 3);
  for (const char* corpus : {"bc.h5", "bc_from.h5"}) {
    SCOPED_TRACE(corpus);
    auto r = run_command(berth("eval --checkpoint '" + model_dir() + "' --input '" +
                               (tmp / corpus).string() + "' --batch-size 2"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto got = json::parse(r.out);
    EXPECT_EQ(got["labels"], json({"a", "b", "c"}));
    EXPECT_EQ(got["total"], want["total"]);
    EXPECT_EQ(got["confusion_matrix"], want["confusion_matrix"]);
    EXPECT_DOUBLE_EQ(got["accuracy"].get<double>(), want["accuracy"].get<double>());
    EXPECT_DOUBLE_EQ(got["macro_f1"].get<double>(), want["macro_f1"].get<double>());
    EXPECT_EQ(got["per_class"], want["per_class"]);
    EXPECT_NEAR(got["loss"].get<double>(), want["loss"].get<double>(), 1e-5);
  }
}

TEST_F(PredictCli, EvalCorpusErrors) {
  TempDir tmp;
  // A corpus label the checkpoint does not know is named.
  write_file(tmp / "zebra.csv", "text,label\nfine,a\noops,zebra\n");
  ASSERT_EQ(prep(model_dir(), tmp / "zebra.csv", tmp / "zebra.h5").exit_code, 0);
  auto r = run_command(berth("eval --checkpoint '" + model_dir() + "' --input '" +
                             (tmp / "zebra.h5").string() + "'"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("label \"zebra\" is not one of the checkpoint's labels (a, b, c)"),
            std::string::npos)
      << r.err;

  // A corpus tokenized with another tokenizer (here: the same vocabulary, not lowercased).
  std::filesystem::copy(model_dir(), tmp / "cased");
  {
    auto cfg = json::parse(read_file(tmp / "cased" / "tokenizer_config.json"));
    cfg["do_lower_case"] = false;
    write_file(tmp / "cased" / "tokenizer_config.json", cfg.dump());
  }
  write_file(tmp / "ok.csv", "text,label\nfine,a\nbad,b\n");
  auto p = prep((tmp / "cased").string(), tmp / "ok.csv", tmp / "cased.h5");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  r = run_command(berth("eval --checkpoint '" + model_dir() + "' --input '" +
                        (tmp / "cased.h5").string() + "'"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("was tokenized with another tokenizer"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("re-prep"), std::string::npos) << r.err;

  // An unlabeled corpus cannot be scored.
  write_file(tmp / "texts.csv", "text\nfine\nbad\n");
  p = run_command(berth("prep --model '" + model_dir() + "' --input '" +
                        (tmp / "texts.csv").string() + "' --out '" + (tmp / "texts.h5").string() +
                        "'"));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  r = run_command(berth("eval --checkpoint '" + model_dir() + "' --input '" +
                        (tmp / "texts.h5").string() + "'"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("has no labels"), std::string::npos) << r.err;
}

TEST_F(PredictCli, Errors) {
  // An unknown label names the file and line and lists the model's labels.
  TempDir tmp;
  write_file(tmp / "bad.csv", "text,label\nfine,a\noops,zebra\n");
  auto r = run_command(berth("eval --checkpoint '" + model_dir() + "' --input '" +
                             (tmp / "bad.csv").string() + "'"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("bad.csv:3: label \"zebra\" is not one of the model's labels (a, b, c)"),
            std::string::npos)
      << r.err;
  // A model without a trained head is refused.
  r = run_command(
      berth("predict --checkpoint '" + default_model().string() + "' --input '" + input() + "'"));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("no trained classifier head"), std::string::npos) << r.err;
  // A missing column.
  r = run_command(berth("predict --checkpoint '" + model_dir() + "' --input '" + input() +
                        "' --text-column sentence"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("sentence"), std::string::npos) << r.err;
  // --device and --precision are parsed with the command line: a bad value names the option and
  // the allowed values.
  for (const char* bad : {"--device cuda:x", "--device cuda:99999999999", "--precision fp8"}) {
    r = run_command(
        berth("predict --checkpoint '" + model_dir() + "' --input '" + input() + "' " + bad));
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.err;
    EXPECT_NE(r.err.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(" or "), std::string::npos) << r.err;
  }
}

// Started as several ranks (the launchers' environment is enough to tell), the one-process
// commands refuse instead of doing the whole job once per rank into the same output; one task
// of a launcher is fine.
TEST_F(PredictCli, SeveralRanksAreRefused) {
  TempDir tmp;
  const std::string out = (tmp / "out.jsonl").string();
  const std::string predict =
      "predict --checkpoint '" + model_dir() + "' --input '" + input() + "' --output '" + out + "'";
  for (const std::string& env : {std::string("OMPI_COMM_WORLD_SIZE=2"),
                                 std::string("SLURM_PROCID=1 SLURM_STEP_NUM_TASKS=4")}) {
    auto r = run_command("env " + env + " " + berth(predict));
    EXPECT_EQ(r.exit_code, 2) << env << "\n" << r.err;
    EXPECT_NE(r.err.find("'berth predict' runs as one process"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << env;
  }
  auto r = run_command("env SLURM_PROCID=0 SLURM_STEP_NUM_TASKS=4 " +
                       berth("eval --checkpoint '" + model_dir() + "' --input '" + input() + "'"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("'berth eval' runs as one process"), std::string::npos) << r.err;
  r = run_command("env OMPI_COMM_WORLD_SIZE=1 " + berth(predict));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace berth::test
