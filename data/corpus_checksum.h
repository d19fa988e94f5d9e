// The checksum that guards a corpus file before the HDF5 library reads it. HDF5 1.10 (Debian 12)
// has memory-safety bugs on damaged files: a single flipped byte in an object header made it
// read freed memory (found by fuzz/fuzz_corpus.cpp). So `berth prep` reserves an HDF5 user block
// (the first 512 bytes, which HDF5 skips) and, once the file is closed, writes there
//   "berth-corpus-sha256 <64 hex digits of SHA-256 over bytes 512..end>\n"
// and Corpus::open verifies it before HDF5 sees the file: a damaged file is a clear data error.
#pragma once

#include <cstdint>
#include <string>

namespace berth::data {

inline constexpr int64_t kCorpusUserBlockBytes = 512;

// Fills the user block of the closed corpus at `path` (created with a 512-byte user block).
// Throws std::runtime_error with errno's text when the file cannot be read or written.
void sign_corpus(const std::string& path);

// "" when the file's user block holds the checksum of the rest; otherwise what is wrong, for a
// message ("has no Berth checksum ...", "changed since prep ...").
std::string corpus_checksum_problem(const std::string& path);

}  // namespace berth::data
