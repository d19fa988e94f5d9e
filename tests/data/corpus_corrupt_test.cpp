// A broken corpus must give a berth::data_error naming the file and the problem, never a crash
// or HDF5's own error stack on stderr.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.h"
#include "data/corpus.h"
#include "data/corpus_writer.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

std::string write_good(const TempDir& d) {
  std::string path = (d / "good.h5").string();
  CorpusWriter w(path, CorpusLayout{true, false});
  std::vector<Example> ex;
  for (int i = 0; i < 2000; ++i) {
    Example e;
    e.input_ids.assign(3 + i % 20, 100 + i);
    e.label = i % 2;
    e.source_row = i + 1;
    ex.push_back(e);
  }
  w.append(ex);
  CorpusInfo info;
  info.tokenizer_fingerprint = "fp";
  info.text_column = "text";
  info.label_column = "label";
  w.commit(info, {"neg", "pos"});
  return path;
}

// Opens `path` expecting a data error; returns its message.
std::string open_error(const std::string& path) {
  testing::internal::CaptureStderr();
  std::string msg;
  try {
    Corpus::open(path);
    ADD_FAILURE() << "opened " << path;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kData);
    msg = e.what();
  }
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("HDF5-DIAG"), std::string::npos) << "HDF5 printed its stack:\n" << err;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  return msg;
}

TEST(CorpusCorrupt, RandomBytesTruncatedAndMissing) {
  TempDir d;
  std::string good = write_good(d);
  EXPECT_EQ(Corpus::open(good).size(), 2000);

  std::string junk = (d / "junk.h5").string();
  std::mt19937 rng(7);
  std::string bytes(100000, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng());
  test::write_file(junk, bytes);
  EXPECT_NE(open_error(junk).find("has no Berth checksum block"), std::string::npos);

  std::string truncated = (d / "truncated.h5").string();
  fs::copy_file(good, truncated);
  fs::resize_file(truncated, fs::file_size(good) / 2);
  EXPECT_NE(open_error(truncated).find("truncated.h5 does not match its checksum"),
            std::string::npos);

  std::string tiny = (d / "tiny.h5").string();
  test::write_file(tiny, "\x89HDF\r\n\x1a\n");
  open_error(tiny);

  std::string msg = open_error((d / "absent.h5").string());
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
}

// One flipped byte in the root object header made HDF5 1.10 read freed memory (fuzz_corpus);
// another, a header claiming 2^28 offsets, made it allocate gigabytes. Any byte changed after
// prep is now caught by the checksum before HDF5 parses the file.
TEST(CorpusCorrupt, AFlippedByteAnywhereIsCaughtBeforeHdf5ReadsIt) {
  TempDir d;
  std::string good = write_good(d);
  const auto size = static_cast<std::streamoff>(fs::file_size(good));
  for (std::streamoff at : {std::streamoff{600}, std::streamoff{2000}, size / 2, size - 1}) {
    std::string bad = (d / ("flipped-" + std::to_string(at) + ".h5")).string();
    fs::copy_file(good, bad);
    {
      std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(at);
      char c = 0;
      f.get(c);
      f.seekp(at);
      f.put(static_cast<char>(c ^ 0x10));
    }
    std::string msg = open_error(bad);
    EXPECT_NE(msg.find("does not match its checksum"), std::string::npos) << at << ": " << msg;
  }
}

TEST(CorpusCorrupt, StructuralProblemsAreNamed) {
  TempDir d;
  std::string good = write_good(d);
  test::run_python("corrupt_corpus.py '" + good + "' '" + d.path().string() + "'");
  struct Case {
    const char* file;
    const char* expect;
  };
  for (const Case& c :
       {Case{"missing_offsets", "dataset 'offsets' is missing"},
        Case{"missing_input_ids", "dataset 'input_ids' is missing"},
        Case{"not_monotone", "not monotone at example 1"},
        Case{"last_offset", "the last offset is"},
        Case{"label_range", "label 2 of example 1 (source row 2) is out of range"},
        Case{"labels_without_names", "'label_names' is missing"},
        Case{"wrong_version", "format version 99"}, Case{"not_a_corpus", "not a Berth corpus"},
        Case{"float_ids", "'input_ids' does not hold integers"},
        Case{"claims_more_than_stored",
             "'offsets' claims 268435456 elements but the file stores "
             "only 0 bytes"}}) {
    std::string msg = open_error((d / (std::string(c.file) + ".h5")).string());
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.file << ": " << msg;
    EXPECT_NE(msg.find("hint:"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace berth::data
