// collate(): dynamic padding to the longest example, masks, token types, labels.
#include "data/batch.h"

#include <gtest/gtest.h>

namespace berth::data {
namespace {

Example ex(std::vector<int32_t> ids, int32_t label, std::vector<int8_t> types = {}) {
  Example e;
  e.input_ids = std::move(ids);
  e.token_type_ids = std::move(types);
  e.label = label;
  e.source_row = e.input_ids.size();
  return e;
}

TEST(Collate, PadsToLongestInBatch) {
  auto b = collate({ex({101, 7, 102}, 1), ex({101, 5, 6, 8, 102}, 0), ex({101, 102}, -1)}, 0);
  EXPECT_EQ(b.batch_size, 3);
  EXPECT_EQ(b.seq_len, 5);
  EXPECT_EQ(b.input_ids, (std::vector<int64_t>{101, 7, 102, 0, 0,  //
                                               101, 5, 6, 8, 102,  //
                                               101, 102, 0, 0, 0}));
  EXPECT_EQ(b.attention_mask, (std::vector<int64_t>{1, 1, 1, 0, 0,  //
                                                    1, 1, 1, 1, 1,  //
                                                    1, 1, 0, 0, 0}));
  EXPECT_EQ(b.token_type_ids, std::vector<int64_t>(15, 0));
  EXPECT_EQ(b.labels, (std::vector<int64_t>{1, 0, -1}));
  EXPECT_EQ(b.source_rows, (std::vector<int64_t>{3, 5, 2}));
}

TEST(Collate, PairsPadIdAndMultiple) {
  auto b = collate({ex({1, 2, 3}, 0, {0, 0, 1}), ex({1, 2}, 1, {0, 1})}, 9, 4);
  EXPECT_EQ(b.seq_len, 4);
  EXPECT_EQ(b.input_ids, (std::vector<int64_t>{1, 2, 3, 9, 1, 2, 9, 9}));
  EXPECT_EQ(b.token_type_ids, (std::vector<int64_t>{0, 0, 1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(b.attention_mask, (std::vector<int64_t>{1, 1, 1, 0, 1, 1, 0, 0}));
}

TEST(Collate, EmptyAndBadInput) {
  auto b = collate({}, 0);
  EXPECT_EQ(b.batch_size, 0);
  EXPECT_EQ(b.seq_len, 0);
  EXPECT_TRUE(b.input_ids.empty());
  EXPECT_THROW(collate({ex({1, 2}, 0, {0})}, 0), std::invalid_argument);
  EXPECT_THROW(collate({ex({1}, 0)}, 0, 0), std::invalid_argument);
}

}  // namespace
}  // namespace berth::data
