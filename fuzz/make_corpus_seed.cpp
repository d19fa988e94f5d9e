// Writes the seed of fuzz_corpus: a tiny valid corpus (labels and text pairs, so that every
// dataset is present) made by the production writer. Run once; the output is committed as
// fuzz/corpus/fuzz_corpus/tiny.h5.   usage: make_corpus_seed OUT.h5
#include <cstdio>

#include "data/corpus_info.h"
#include "data/corpus_writer.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.h5\n", argv[0]);
    return 2;
  }
  using namespace berth::data;
  CorpusLayout layout;
  layout.pairs = true;
  layout.id_chunk = 8;  // a few KB instead of ~330 KB of empty chunks
  layout.row_chunk = 2;
  CorpusWriter w(argv[1], layout);
  auto example = [](std::vector<int32_t> ids, std::vector<int8_t> types, int32_t label,
                    int64_t row) {
    Example e;
    e.input_ids = std::move(ids);
    e.token_type_ids = std::move(types);
    e.label = label;
    e.source_row = row;
    return e;
  };
  std::vector<Example> ex = {example({101, 7592, 102, 2088, 102}, {0, 0, 0, 1, 1}, 0, 2),
                             example({101, 2204, 102, 102}, {0, 0, 0, 1}, 1, 3),
                             example({101, 2919, 2143, 102, 2006, 102}, {0, 0, 0, 0, 1, 1}, 0, 5)};
  w.append(ex);
  CorpusInfo info;
  info.tokenizer_fingerprint = "fuzz";
  info.max_length = 8;
  info.source_file = "seed.csv";
  info.source_format = "csv";
  info.text_column = "text";
  info.label_column = "label";
  info.text_pair_column = "text_b";
  info.rows_read = 4;
  info.rows_skipped = 1;
  info.created_by = "berth fuzz seed";
  w.commit(info, {"neg", "pos"});
  return 0;
}
