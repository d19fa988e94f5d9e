// prep on small synthetic inputs: skipped rows, --strict, label maps (numeric order,
// --labels-from and its errors), pairs, every input format, order under threads, and that a
// failed prep leaves no output and never touches the input. Ids are checked against
// BertTokenizerFast by tests/python/corpus_oracle.py.
#include "data/prep.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "data/corpus.h"
#include "data/corpus_writer.h"
#include "data/tokenizer.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::write_file;

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

test::CommandResult berth_prep(const std::string& args) {
  return test::run_command("'" + test::berth_binary() + "' prep --model " +
                           q(test::default_model()) + " " + args);
}

using Json = nlohmann::json;

// One oracle job: the corpus, its source, and options as corpus_oracle.py names them.
Json job(const fs::path& corpus, const fs::path& input, Json options = Json::object()) {
  options["corpus"] = corpus.string();
  options["input"] = input.string();
  return options;
}

void oracle(const std::vector<Json>& jobs) {
  test::run_python("corpus_oracle.py --model " + q(test::default_model()), Json(jobs).dump());
}

std::vector<std::string> dir_entries(const fs::path& d) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(d)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

const char* kMessy =
    "text,label\n"
    "\"good, really good\",pos\n"
    ",pos\n"            // empty text
    "\"   \",neg\n"     // whitespace-only text
    "no label here,\n"  // empty label
    "\"caf\xC3\xA9 \"\"quoted\"\" \xE2\x80\x94 ok\",neg\n"
    "\"two\nlines\", pos \n"  // label with spaces around
    "\xE3\x80\x80,neg\n"      // ideographic space only
    "last one,neg\n";

TEST(Prep, SkipsCountsAndReportsBadRows) {
  TempDir d;
  write_file(d / "in.csv", kMessy);
  auto r = berth_prep("--input " + q(d / "in.csv") + " --out " + q(d / "out.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("skipping record 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in.csv:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("skipping record 4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("8 rows read, 4 written, 4 skipped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("labels: neg=2, pos=2"), std::string::npos) << r.err;
  Corpus c = Corpus::open((d / "out.h5").string());
  EXPECT_EQ(c.size(), 4);
  EXPECT_EQ(c.info().rows_skipped, 4);
  EXPECT_EQ(c.source_row(2), 6);
  oracle({job(d / "out.h5", d / "in.csv", {{"label_column", "label"}})});
}

TEST(Prep, StrictFailsLeavingNoOutputAndInputUntouched) {
  TempDir d;
  write_file(d / "in.csv", kMessy);
  auto before = fs::last_write_time(d / "in.csv");
  auto r = berth_prep("--input " + q(d / "in.csv") + " --out " + q(d / "out.h5") + " --strict");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("in.csv:3: record 2 has an empty text"), std::string::npos) << r.err;
  EXPECT_EQ(dir_entries(d.path()), std::vector<std::string>{"in.csv"});
  EXPECT_EQ(test::read_file(d / "in.csv"), kMessy);
  EXPECT_EQ(fs::last_write_time(d / "in.csv"), before);
}

TEST(Prep, MalformedInputMidwayLeavesNoOutput) {
  TempDir d;
  std::string content = "text,label\n";
  for (int i = 0; i < 10000; ++i) content += "row " + std::to_string(i) + ",a\n";
  content += "\"unterminated,b\n";
  write_file(d / "in.csv", content);
  auto r = berth_prep("--input " + q(d / "in.csv") + " --out " + q(d / "out.h5"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("in.csv:10002"), std::string::npos) << r.err;
  EXPECT_EQ(dir_entries(d.path()), std::vector<std::string>{"in.csv"});
}

TEST(Prep, LabelsFromReusesMapAndRejectsUnknownLabels) {
  TempDir d;
  write_file(d / "train.csv", "text,label\na,10\nb,2\nc,1\nd,2\n");
  write_file(d / "dev.csv", "text,label\nx,2\ny,2\n");
  write_file(d / "bad.csv", "text,label\nx,2\ny,\"\nseven\"\nz,7\n");
  auto r = berth_prep("--input " + q(d / "train.csv") + " --out " + q(d / "train.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Corpus train = Corpus::open((d / "train.h5").string());
  EXPECT_EQ(train.label_names(), (std::vector<std::string>{"1", "2", "10"}));  // numeric order
  r = berth_prep("--input " + q(d / "dev.csv") + " --out " + q(d / "dev.h5") + " --labels-from " +
                 q(d / "train.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Corpus dev = Corpus::open((d / "dev.h5").string());
  EXPECT_EQ(dev.label_names(), train.label_names());  // '1' and '10' kept though unseen
  EXPECT_EQ(dev.label(0), 1);
  oracle({job(d / "train.h5", d / "train.csv", {{"label_column", "label"}}),
          job(d / "dev.h5", d / "dev.csv",
              {{"label_column", "label"}, {"labels_from", (d / "train.h5").string()}})});

  r = berth_prep("--input " + q(d / "bad.csv") + " --out " + q(d / "bad.h5") + " --labels-from " +
                 q(d / "train.h5"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("bad.csv:3: label 'seven' of record 2"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "bad.h5"));
}

TEST(Prep, LabelsFromAnotherTokenizerIsAnError) {
  TempDir d;
  {
    CorpusWriter w((d / "other.h5").string(), CorpusLayout{true, false});
    CorpusInfo info;
    info.tokenizer_fingerprint = "some-other-tokenizer";
    info.label_column = "label";
    w.commit(info, {"a", "b"});
  }
  write_file(d / "dev.csv", "text,label\nx,a\n");
  auto r = berth_prep("--input " + q(d / "dev.csv") + " --out " + q(d / "dev.h5") +
                      " --labels-from " + q(d / "other.h5"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("another tokenizer"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "dev.h5"));
}

TEST(Prep, MissingColumnsListWhatExists) {
  TempDir d;
  write_file(d / "in.csv", "sentence,label\nx,a\n");
  auto r = berth_prep("--input " + q(d / "in.csv") + " --out " + q(d / "o.h5"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no column 'text'; the columns are 'sentence', 'label'"), std::string::npos)
      << r.err;
  write_file(d / "in2.csv", "text\nx\n");
  r = berth_prep("--input " + q(d / "in2.csv") + " --out " + q(d / "o.h5") +
                 " --label-column label");  // named explicitly: required
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no column 'label'"), std::string::npos) << r.err;
  r = berth_prep("--input " + q(d / "nope.csv") + " --out " + q(d / "o.h5"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("nope.csv"), std::string::npos) << r.err;
  EXPECT_EQ(dir_entries(d.path()), (std::vector<std::string>{"in.csv", "in2.csv"}));
}

TEST(Prep, PairsJsonlTsvAndTxt) {
  TempDir d;
  write_file(d / "nli.jsonl",
             "{\"premise\": \"A man plays a guitar on stage.\", \"hypothesis\": \"Someone makes "
             "music.\", \"label\": 0}\n\n"
             "{\"premise\": \"" +
                 std::string(300, 'x') +
                 " long premise\", \"hypothesis\": "
                 "\"short one\", \"label\": 2}\n"
                 "{\"premise\": \"Nobody is here.\", \"hypothesis\": \"A crowd cheers.\", "
                 "\"label\": 1}\n");
  auto r = berth_prep("--input " + q(d / "nli.jsonl") + " --out " + q(d / "nli.h5") +
                      " --text-column premise --text-pair-column hypothesis --max-length 16");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Corpus nli = Corpus::open((d / "nli.h5").string());
  EXPECT_TRUE(nli.has_pairs());
  EXPECT_EQ(nli.label_names(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_LE(nli.length(1), 16);

  write_file(d / "a.tsv", "label\ttext\nB\t\"as is\", no quoting\nA\tsecond\n");
  r = berth_prep("--input " + q(d / "a.tsv") + " --out " + q(d / "tsv.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  write_file(d / "lines.dat", "first line\n\nthird line, unlabeled\n");
  r = berth_prep("--input " + q(d / "lines.dat") + " --out " + q(d / "txt.h5") + " --format txt");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Corpus txt = Corpus::open((d / "txt.h5").string());
  EXPECT_FALSE(txt.labeled());
  EXPECT_EQ(txt.size(), 2);
  EXPECT_EQ(txt.source_row(1), 3);
  oracle({job(d / "nli.h5", d / "nli.jsonl",
              {{"text_column", "premise"},
               {"pair_column", "hypothesis"},
               {"label_column", "label"},
               {"max_length", 16}}),
          job(d / "tsv.h5", d / "a.tsv", {{"label_column", "label"}}),
          job(d / "txt.h5", d / "lines.dat", {{"format", "txt"}})});
}

TEST(Prep, LibraryKeepsOrderAcrossThreadsAndBatches) {
  TempDir d;
  std::string content = "text,label\n";
  for (int i = 0; i < 3000; ++i) {
    // Every 7th text is quoted with a comma and doubled quotes inside.
    std::string text = "sentence number " + std::to_string(i);
    content += (i % 7 ? text + " is fine" : "\"" + text + " is \"\"odd, quoted\"\"\"") + "," +
               std::to_string(i % 5) + "\n";
  }
  write_file(d / "in.csv", content);
  Tokenizer tok = Tokenizer::from_directory(test::default_model().string());
  PrepOptions o;
  o.tokenizer = &tok;
  o.input = (d / "in.csv").string();
  o.output = (d / "one.h5").string();
  o.threads = 1;
  o.batch_rows = 4096;
  PrepStats one = prep_corpus(o);
  o.output = (d / "many.h5").string();
  o.threads = 3;
  o.batch_rows = 7;
  PrepStats many = prep_corpus(o);
  EXPECT_EQ(one.rows_written, 3000);
  EXPECT_EQ(many.rows_written, 3000);
  EXPECT_EQ(many.label_counts, one.label_counts);
  Corpus a = Corpus::open(o.output), b = Corpus::open((d / "one.h5").string());
  std::vector<int64_t> all(3000);
  for (int i = 0; i < 3000; ++i) all[i] = i;
  auto ea = a.read(all), eb = b.read(all);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(ea[i].input_ids, eb[i].input_ids) << i;
    ASSERT_EQ(ea[i].label, eb[i].label) << i;
    ASSERT_EQ(ea[i].source_row, i + 1);
  }
  oracle({job(d / "many.h5", d / "in.csv", {{"label_column", "label"}, {"sample", 300}})});
}

TEST(Prep, BadOptionsAreUsageErrors) {
  TempDir d;
  write_file(d / "in.csv", "text,label\nx,a\n");
  auto r = berth_prep("--input " + q(d / "in.csv") + " --out " + q(d / "o.h5") + " --max-length 1");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = berth_prep("--input " + q(d / "in.csv") + " --out " + q(d / "no/such/dir/o.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = berth_prep("--input " + q(d / "in.csv") + " --out " + q(d / "in.csv"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(test::read_file(d / "in.csv"), "text,label\nx,a\n");
  r = berth_prep("--input " + q(d / "in.xml") + " --out " + q(d / "o.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--format"), std::string::npos) << r.err;
}

// Limits known at prep time are refused at prep time: a --max-length the model cannot embed
// (the default model has 512 positions); a header-only input gives an empty corpus with a warning.
TEST(Prep, MaxLengthBeyondTheModelAndEmptyInput) {
  test::TempDir tmp;
  test::write_file(tmp / "in.csv", "text,label\nok,a\nfine,b\n");
  for (const char* n : {"513", "100000"}) {
    auto r = berth_prep("--input " + q(tmp / "in.csv") + " --out " + q(tmp / "x.h5") +
                        " --max-length " + n);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--max-length " + std::string(n) + " is more than the 512"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(tmp / "x.h5"));
  }
  EXPECT_EQ(berth_prep("--input " + q(tmp / "in.csv") + " --out " + q(tmp / "ok.h5") +
                       " --max-length 512")
                .exit_code,
            0);
  test::write_file(tmp / "header.csv", "text,label\n");
  auto r = berth_prep("--input " + q(tmp / "header.csv") + " --out " + q(tmp / "empty.h5"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("has no data rows"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::data
