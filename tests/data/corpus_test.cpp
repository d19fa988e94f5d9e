// The HDF5 corpus: write then read back (single texts, pairs, unlabeled, file-backed reads),
// and a writer that does not commit leaves nothing behind.
#include "data/corpus.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "data/corpus_writer.h"
#include "tests/support/test_support.h"

namespace berth::data {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

Example make(int32_t len, int32_t seed, int32_t label, int64_t row, bool pair) {
  Example e;
  for (int32_t i = 0; i < len; ++i) {
    e.input_ids.push_back(seed * 1000 + i);
    if (pair) e.token_type_ids.push_back(i < len / 2 ? 0 : 1);
  }
  e.label = label;
  e.source_row = row;
  return e;
}

CorpusInfo info_for(const std::string& fp) {
  CorpusInfo info;
  info.tokenizer_fingerprint = fp;
  info.max_length = 64;
  info.source_file = "in.csv";
  info.source_size = 123;
  info.source_sha256 = "abc";
  info.source_format = "csv";
  info.text_column = "text";
  info.label_column = "label";
  info.rows_read = 7;
  info.rows_skipped = 1;
  info.created_by = "test";
  return info;
}

void expect_same(const Example& a, const Example& b) {
  EXPECT_EQ(a.input_ids, b.input_ids);
  EXPECT_EQ(a.token_type_ids, b.token_type_ids);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.source_row, b.source_row);
}

// One test for "is this a corpus?": `berth train` used to compare the extension case-sensitively
// (a .H5 corpus was read as a table) while `berth eval` did not.
TEST(Corpus, IsCorpusByExtensionInAnyCase) {
  for (const char* path : {"a.h5", "a.hdf5", "dir/A.H5", "b.Hdf5", "/x/y.tar.h5"})
    EXPECT_TRUE(is_corpus(path)) << path;
  for (const char* path : {"a.csv", "a.h5.csv", "h5", "a.h55", "dir.h5/file.tsv", "a"})
    EXPECT_FALSE(is_corpus(path)) << path;
}

TEST(Corpus, RoundTripWithRemappedLabelsAndManyBatches) {
  TempDir d;
  std::string path = (d / "c.h5").string();
  std::vector<Example> all;
  {
    CorpusWriter w(path, CorpusLayout{true, false});
    // Enough ids to cross several chunks, appended in uneven batches.
    for (int batch = 0; batch < 5; ++batch) {
      std::vector<Example> b;
      for (int i = 0; i < 1000 + batch * 37; ++i) {
        int k = static_cast<int>(all.size());
        b.push_back(make(2 + k % 50, k, k % 3, k + 2, false));
        all.push_back(b.back());
      }
      w.append(b);
    }
    EXPECT_TRUE(fs::exists(w.temp_path()));
    EXPECT_FALSE(fs::exists(path));
    std::vector<int32_t> remap{2, 0, 1};  // provisional -> final
    w.commit(info_for("fp1"), {"a", "b", "c"}, &remap);
  }
  for (auto& e : all) e.label = std::vector<int32_t>{2, 0, 1}[e.label];
  ASSERT_TRUE(fs::exists(path));
  for (int64_t preload : {int64_t{256} << 20, int64_t{0}}) {
    Corpus c = Corpus::open(path, CorpusOpenOptions{preload});
    EXPECT_EQ(c.preloaded(), preload > 0);
    ASSERT_EQ(c.size(), static_cast<int64_t>(all.size()));
    EXPECT_EQ(c.label_names(), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(c.fingerprint(), "fp1");
    EXPECT_TRUE(c.labeled());
    EXPECT_FALSE(c.has_pairs());
    EXPECT_EQ(c.info().rows_written, c.size());
    EXPECT_EQ(c.info().rows_read, 7);
    EXPECT_EQ(c.info().source_sha256, "abc");
    EXPECT_EQ(c.info().max_length, 64);
    for (int64_t i = 0; i < c.size(); i += 97) {
      EXPECT_EQ(c.length(i), static_cast<int32_t>(all[i].input_ids.size()));
      EXPECT_EQ(c.label(i), all[i].label);
    }
    // Shuffled, with duplicates and neighbours (contiguous runs) mixed in.
    std::vector<int64_t> idx{4000, 3, 4, 5, 3, 0, static_cast<int64_t>(all.size()) - 1, 2500, 2501};
    auto got = c.read(idx);
    ASSERT_EQ(got.size(), idx.size());
    for (size_t k = 0; k < idx.size(); ++k) expect_same(got[k], all[idx[k]]);
    EXPECT_THROW(c.read(std::vector<int64_t>{c.size()}), std::out_of_range);
  }
}

TEST(Corpus, PairsAndCopiesShareTheFile) {
  TempDir d;
  std::string path = (d / "p.h5").string();
  std::vector<Example> ex{make(5, 1, 0, 1, true), make(9, 2, 1, 3, true), make(3, 3, 0, 4, true)};
  {
    CorpusWriter w(path, CorpusLayout{true, true});
    w.append(ex);
    CorpusInfo info = info_for("fp");
    info.text_pair_column = "hypothesis";
    w.commit(info, {"entail", "contradict"});
  }
  Corpus c = Corpus::open(path, CorpusOpenOptions{0});
  Corpus copy = c;
  EXPECT_TRUE(copy.has_pairs());
  EXPECT_EQ(copy.info().text_pair_column, "hypothesis");
  for (int64_t i = 0; i < 3; ++i) expect_same(copy.read(i), ex[i]);
}

TEST(Corpus, UnlabeledAndEmpty) {
  TempDir d;
  std::string path = (d / "u.h5").string();
  {
    CorpusWriter w(path, CorpusLayout{false, false});
    w.append({make(4, 1, -1, 1, false), make(6, 2, -1, 2, false)});
    CorpusInfo info = info_for("fp");
    w.commit(info, {});
  }
  Corpus c = Corpus::open(path);
  EXPECT_FALSE(c.labeled());
  EXPECT_TRUE(c.label_names().empty());
  EXPECT_EQ(c.info().label_column, "");
  EXPECT_EQ(c.label(1), -1);
  EXPECT_EQ(c.read(1).label, -1);
  EXPECT_EQ(c.read(1).input_ids.size(), 6u);

  std::string empty = (d / "e.h5").string();
  {
    CorpusWriter w(empty, CorpusLayout{true, false});
    w.commit(info_for("fp"), {});
  }
  Corpus e = Corpus::open(empty);
  EXPECT_EQ(e.size(), 0);
  EXPECT_TRUE(e.read(std::vector<int64_t>{}).empty());
}

TEST(Corpus, WriterWithoutCommitLeavesNothing) {
  TempDir d;
  std::string path = (d / "x.h5").string();
  std::string tmp;
  {
    CorpusWriter w(path, CorpusLayout{true, false});
    w.append({make(4, 1, 0, 1, false)});
    tmp = w.temp_path();
    EXPECT_TRUE(fs::exists(tmp));
  }
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(d.path()));
}

TEST(Corpus, WriterInMissingDirectoryIsADataError) {
  try {
    CorpusWriter w("/nonexistent-dir/x.h5", CorpusLayout{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kData);
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.h5.tmp-"), std::string::npos);
  }
}

}  // namespace
}  // namespace berth::data
