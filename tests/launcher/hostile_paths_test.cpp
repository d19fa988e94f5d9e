// The output guard end to end (common/output_guard.h): every file a command writes for the user
// (predict/eval --output, report --output, prep --out, serve --port-file) pointed at the
// command's other file arguments and at the files of a run and a checkpoint, under every name
// (the same path, a symbolic link, `..`, a hard link, the `latest` pointer). Each must be refused
// (exit 2, naming the option) before anything is written, leaving every file as it was; the
// controls (a new file, an earlier output, a device, report's own page) must still work. Then
// the verify cache: a change that keeps size and mtime is seen, and --verify always hashes what
// the cache vouches for. One tiny checkpoint and corpus serve every case.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "launcher/checkpoint_use.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

struct Case {
  const char* name;
  // Placeholders: {berth} the binary, {dir} the suite's directory, {ck} the checkpoint
  // (RUN/checkpoints/step-00000002), {run} the run directory, {model} the tiny model.
  const char* args;
  int exit_code;        // 2: refused; 0: a control that must work
  const char* option;   // the option a refusal must name
  const char* prepare;  // a file (path with placeholders) written as "old\n" first, or ""
};

// A file's identity and state: an atomic replacement changes the inode, a write the mtime.
using Stamp = std::tuple<dev_t, ino_t, off_t, long, long>;

// The suite's files: a tiny model, a 2-step run with its checkpoint, a corpus, texts, links.
class TinyRun : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const fs::path d = dir_->path();
    run_python("make_tiny_model.py '" + (d / "tiny").string() + "' '" + default_model().string() +
               "' 3 0.0");
    write_file(d / "train.csv", learnable_csv(40));
    write_file(d / "labelled.csv", learnable_csv(9));
    write_file(d / "texts.txt", "a few words\nsome more words here\n");
    fs::create_directories(d / "sub");
    fs::create_directories(d / "out");
    fs::create_symlink(d / "texts.txt", d / "texts-link.txt");
    fs::create_hard_link(d / "texts.txt", d / "texts-hard.txt");
    fs::create_symlink(d / "train.csv", d / "train-link.csv");
    std::ostringstream c;
    c << "[model]\npath = '" << (d / "tiny").string() << "'\n[data]\ntrain = '"
      << (d / "train.csv").string() << "'\nbatch_size = 8\nmax_length = 32\ncache_dir = '"
      << (d / "cache").string() << "'\n[train]\nmax_steps = 2\nrun_dir = '" << (d / "run").string()
      << "'\n[runtime]\nthreads = 1\n";
    write_file(d / "run.toml", c.str());
    auto t =
        run_command("'" + berth_binary() + "' train --config '" + (d / "run.toml").string() + "'");
    ASSERT_EQ(t.exit_code, 0) << t.err;
    auto p = run_command("'" + berth_binary() + "' prep --model '" + (d / "tiny").string() +
                         "' --input '" + (d / "train.csv").string() + "' --out '" +
                         (d / "corpus.h5").string() + "' --max-length 32");
    ASSERT_EQ(p.exit_code, 0) << p.err;
  }
  static void TearDownTestSuite() { delete dir_; }

 protected:
  static std::string expand(std::string s) {
    const fs::path d = dir_->path();
    const std::vector<std::pair<std::string, std::string>> vars = {
        {"{berth}", "timeout 120 '" + berth_binary() + "'"},
        {"{ck}", checkpoint_step_dir(d / "run", 2).string()},
        {"{run}", (d / "run").string()},
        {"{model}", (d / "tiny").string()},
        {"{dir}", d.string()}};
    for (const auto& [from, to] : vars)
      for (size_t at; (at = s.find(from)) != std::string::npos;) s.replace(at, from.size(), to);
    return s;
  }

  // Every file a refused command must leave alone, and what each is now.
  static std::map<std::string, Stamp> stamps() {
    std::map<std::string, Stamp> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_->path())) {
      struct stat st {};
      if (::lstat(e.path().c_str(), &st) != 0) continue;
      const auto rel = e.path().lexically_relative(dir_->path()).string();
      if (rel.rfind("out", 0) == 0 || rel.rfind("cache", 0) == 0) continue;  // controls write
      out[rel] = {st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    }
    return out;
  }

  static TempDir* dir_;
};

TempDir* TinyRun::dir_ = nullptr;

class HostilePaths : public TinyRun {
 protected:
  void run_case(const Case& c) {
    if (*c.prepare) write_file(expand(c.prepare), "old\n");
    const auto before = stamps();
    const auto r = run_command(expand(std::string("{berth} ") + c.args));
    EXPECT_EQ(r.exit_code, c.exit_code) << expand(c.args) << "\n" << r.err;
    if (c.exit_code != 2) return;
    EXPECT_NE(r.err.find(c.option), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
    const auto after = stamps();
    for (const auto& [path, stamp] : before)
      EXPECT_TRUE(after.count(path) && after.at(path) == stamp) << path << " was changed";
    for (const auto& [path, stamp] : after) EXPECT_TRUE(before.count(path)) << path << " appeared";
  }
};

const Case kCases[] = {
    // predict --output against --input, under every name.
    {"predict_output_is_input",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output {dir}/texts.txt", 2, "--output",
     ""},
    {"predict_output_links_to_input",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output {dir}/texts-link.txt", 2,
     "--output", ""},
    {"predict_input_is_a_link_to_output",
     "predict --checkpoint {ck} --input {dir}/texts-link.txt --output {dir}/texts.txt", 2,
     "--output", ""},
    {"predict_output_dotdot_to_input",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output {dir}/sub/../texts.txt", 2,
     "--output", ""},
    {"predict_output_hard_link_of_input",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output {dir}/texts-hard.txt", 2,
     "--output", ""},
    // predict --output against the checkpoint and its run.
    {"predict_output_checkpoint_weights",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output {ck}/model.safetensors", 2,
     "--output", ""},
    {"predict_output_new_file_in_checkpoint",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output {ck}/predictions.jsonl", 2,
     "--output", ""},
    {"predict_output_through_latest",
     "predict --checkpoint {run}/checkpoints/latest --input {dir}/texts.txt --output "
     "{run}/checkpoints/latest/config.json",
     2, "--output", ""},
    {"predict_output_run_metrics",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output {run}/metrics.jsonl", 2,
     "--output", ""},
    {"predict_output_run_log",
     "predict --checkpoint {run}/checkpoints/latest --input {dir}/texts.txt --output "
     "{run}/logs/rank-0.log",
     2, "--output", ""},
    {"predict_input_and_output_a_checkpoint_file",
     "predict --checkpoint {ck} --input {ck}/vocab.txt --output {ck}/vocab.txt", 2, "--output", ""},
    // eval --output against its labelled input (table or corpus) and the checkpoint.
    {"eval_output_is_labelled_input",
     "eval --checkpoint {ck} --input {dir}/labelled.csv --output {dir}/labelled.csv", 2, "--output",
     ""},
    {"eval_output_is_corpus_input",
     "eval --checkpoint {ck} --input {dir}/corpus.h5 --output {dir}/corpus.h5", 2, "--output", ""},
    {"eval_output_checkpoint_manifest",
     "eval --checkpoint {ck} --input {dir}/labelled.csv --output {ck}/manifest.json", 2, "--output",
     ""},
    {"eval_output_run_metrics",
     "eval --checkpoint {ck} --input {dir}/labelled.csv --output {run}/metrics.jsonl", 2,
     "--output", ""},
    // report --output against the run it reads.
    {"report_output_run_metrics", "report {run} -o {run}/metrics.jsonl --no-verify", 2, "--output",
     ""},
    {"report_output_run_log", "report {run} --output {run}/logs/rank-0.log --no-verify", 2,
     "--output", ""},
    {"report_output_in_checkpoint", "report {run} -o {ck}/report.html --no-verify", 2, "--output",
     ""},
    {"report_output_in_checkpoint_root",
     "report {run} -o {run}/checkpoints/report.html --no-verify", 2, "--output", ""},
    // prep --out against --input, --labels-from and the model directory.
    {"prep_out_is_input", "prep --model {model} --input {dir}/train.csv --out {dir}/train.csv", 2,
     "--out", ""},
    {"prep_out_links_to_input",
     "prep --model {model} --input {dir}/train.csv --out {dir}/train-link.csv", 2, "--out", ""},
    {"prep_out_is_labels_from",
     "prep --model {model} --input {dir}/labelled.csv --labels-from {dir}/corpus.h5 --out "
     "{dir}/corpus.h5",
     2, "--out", ""},
    {"prep_out_into_model", "prep --model {model} --input {dir}/train.csv --out {model}/vocab.txt",
     2, "--out", ""},
    {"prep_out_checkpoint_file", "prep --model {ck} --input {dir}/train.csv --out {ck}/config.json",
     2, "--out", ""},
    // serve --port-file against the checkpoint and its run (refused before it listens).
    {"serve_port_file_checkpoint_config",
     "serve --checkpoint {ck} --port 0 --port-file {ck}/config.json", 2, "--port-file", ""},
    {"serve_port_file_run_metrics",
     "serve --checkpoint {ck} --port 0 --port-file {run}/metrics.jsonl", 2, "--port-file", ""},
    // Controls: what users do every day still works.
    {"control_predict_new_file",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output {dir}/out/predictions.jsonl", 0,
     "", ""},
    {"control_predict_rewrites_earlier_output",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output {dir}/out/old.jsonl", 0, "",
     "{dir}/out/old.jsonl"},
    {"control_predict_new_file_beside_the_run",
     "predict --checkpoint {run}/checkpoints/latest --input {dir}/texts.txt --output "
     "{dir}/out/run-test.jsonl",
     0, "", ""},
    {"control_predict_to_a_device",
     "predict --checkpoint {ck} --input {dir}/texts.txt --output /dev/null", 0, "", ""},
    {"control_eval_output",
     "eval --checkpoint {ck} --input {dir}/labelled.csv --output {dir}/out/eval.json", 0, "", ""},
    {"control_report_default_page", "report {run} --no-verify", 0, "", ""},
    {"control_report_own_page_named", "report {run} -o {run}/report.html --no-verify", 0, "", ""},
    {"control_prep_out",
     "prep --model {model} --input {dir}/labelled.csv --labels-from {dir}/corpus.h5 --out "
     "{dir}/out/dev.h5",
     0, "", ""},
};

// One test, one process: CTest runs each test in its own process, and the suite's set-up (a
// tiny model, a training run, a corpus) costs more than all the cases together. Each failure
// names its case.
TEST_F(HostilePaths, NoOutputReplacesAnInputOrARunFile) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    run_case(c);
  }
}

// The verify cache and --verify, on copies of the suite's checkpoint (they are damaged).
class VerifyCache : public TinyRun {
 protected:
  fs::path copy_checkpoint(const std::string& name) {
    const fs::path to = dir_->path() / "copies" / name;
    fs::create_directories(to.parent_path());
    fs::copy(checkpoint_step_dir(dir_->path() / "run", 2), to, fs::copy_options::recursive);
    return to;
  }
  CommandResult predict(const fs::path& ck, const std::string& flags = "") {
    return run_command("XDG_CACHE_HOME='" + (dir_->path() / "xdg").string() + "' '" +
                       berth_binary() + "' predict --checkpoint '" + ck.string() + "' --input '" +
                       (dir_->path() / "texts.txt").string() + "' " + flags);
  }
  // Changes one byte of `file`, keeping its size, and sets its times back (`touch -r`).
  static void edit_keeping_size_and_mtime(const fs::path& file) {
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    std::string text = read_file(file);
    const auto at = text.find("c1");
    ASSERT_NE(at, std::string::npos);
    text[at + 1] = '7';  // the label "c1" becomes "c7"
    write_file(file, text);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  }
};

TEST_F(VerifyCache, AnEditThatKeepsSizeAndMtimeIsSeen) {
  const fs::path ck = copy_checkpoint("touched");
  auto first = predict(ck);
  ASSERT_EQ(first.exit_code, 0) << first.err;  // verified, and cached
  edit_keeping_size_and_mtime(ck / "config.json");
  // The cache was keyed on size and mtime: this loaded the edited checkpoint with exit 0.
  auto again = predict(ck);
  EXPECT_EQ(again.exit_code, 4) << again.err;
  EXPECT_NE(again.err.find("fails its manifest check"), std::string::npos) << again.err;
}

TEST_F(VerifyCache, VerifyAlwaysHashesWhatTheCacheVouchesFor) {
  const fs::path ck = copy_checkpoint("rotten");
  ASSERT_EQ(predict(ck).exit_code, 0);
  // Bit rot shows in no metadata: stand in for it with a changed file whose new state the
  // cache lists as verified.
  edit_keeping_size_and_mtime(ck / "config.json");
  const fs::path cache = dir_->path() / "xdg" / "berth" / "verified";
  write_file(cache / launcher::checkpoint_fingerprint(ck.string()), ck.string() + "\n");
  auto trusted = predict(ck, "--verify auto");
  EXPECT_EQ(trusted.exit_code, 0) << "auto trusts the cache for an unchanged state:\n"
                                  << trusted.err;
  auto always = predict(ck, "--verify always");
  EXPECT_EQ(always.exit_code, 4) << always.err;
  EXPECT_NE(always.err.find("fails its manifest check"), std::string::npos) << always.err;
  auto never = predict(ck, "--verify never");
  EXPECT_EQ(never.exit_code, 0) << never.err;
  auto bad = predict(ck, "--verify sometimes");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("auto, always or never"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace berth::test
