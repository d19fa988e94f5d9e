// How the packed GEMMs (model/packed_gemm.cpp, model/packed_int8_gemm.cpp) cut their rows into
// work for the intra-op threads and into blocks for their kernels.
#pragma once

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>

namespace berth::model {

// Chunks of `rows` rows each (the last one shorter), `count` of them.
struct RowChunks {
  int64_t count;
  int64_t rows;
};

// At most `max_rows` rows a chunk, as many chunks per thread: at::parallel_for gives each thread
// an equal run of items, so 800 rows as 8 x 96 + 32 would leave one thread idle for 15 % of a
// call. Where evening out would make chunks of under two blocks, the chunks stay as they are (the
// callers then split the panels between the threads).
inline RowChunks even_row_chunks(int64_t rows, int64_t max_rows, int64_t block, int64_t threads) {
  int64_t count = (rows + max_rows - 1) / max_rows;
  if (count > 1 && threads > 0 && count % threads != 0) {
    const int64_t even = (count + threads - 1) / threads * threads;
    if (rows >= even * 2 * block) count = even;
  }
  const int64_t per = count > 0 ? (rows + count - 1) / count : 0;
  return {per > 0 ? (rows + per - 1) / per : 0, per};
}

// Rows per kernel block for `rows` rows with blocks of at most `block`: as even as can be (25
// rows: 9, 8, 8, not 12, 12, 1), since a block of few rows loads as many weights as a full one
// for a fraction of the arithmetic.
inline int64_t even_block_rows(int64_t rows, int64_t block) {
  const int64_t blocks = (rows + block - 1) / block;
  return blocks > 0 ? (rows + blocks - 1) / blocks : 0;
}

// Calls block(p, r, n) for every panel p and every block of n rows from row r: the rows in
// chunks of at most `max_chunk_rows` (even_row_chunks), each in even blocks of at most `block`
// rows (even_block_rows). Chunk-major work items: a thread's items share its chunk's
// activations, and for one chunk (a batch-1 text) the panels are split between the threads. The
// callers' files are compiled with OpenMP (model/CMakeLists.txt), which makes this loop parallel.
template <class Block>
void for_each_panel_block(int64_t rows, int64_t panels, int64_t max_chunk_rows, int64_t block,
                          const Block& run) {
  const RowChunks chunks = even_row_chunks(rows, max_chunk_rows, block, at::get_num_threads());
  at::parallel_for(0, chunks.count * panels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t chunk = item / panels, p = item % panels;
      const int64_t row_begin = chunk * chunks.rows;
      const int64_t row_end = std::min(rows, row_begin + chunks.rows);
      const int64_t per_block = even_block_rows(row_end - row_begin, block);
      for (int64_t r = row_begin; r < row_end; r += per_block)
        run(p, r, std::min(per_block, row_end - r));
    }
  });
}

}  // namespace berth::model
