// Buffered, streaming byte input for the table readers: reads a file in large chunks (never the
// whole file), skips a UTF-8 byte-order mark, and counts lines so every reader can say where a
// problem is. Not thread-safe; one reader owns one TextInput.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::data {

class TextInput {
 public:
  // Called with every chunk of raw bytes as it is read (the BOM included), e.g. to hash the
  // source while it streams instead of reading it twice.
  using ByteObserver = std::function<void(std::string_view)>;

  // Throws berth::data_error (component "data") when the file cannot be opened or is a directory.
  explicit TextInput(const std::string& path, ByteObserver observer = {});
  ~TextInput();
  TextInput(const TextInput&) = delete;
  TextInput& operator=(const TextInput&) = delete;

  static constexpr int kEof = -1;

  // Next byte, or kEof. Counts '\n' so that line() is the line of the next byte.
  int get() {
    if (pos_ == end_ && !refill()) return kEof;
    char c = buf_[pos_++];
    if (c == '\n') ++line_;
    return static_cast<unsigned char>(c);
  }
  int peek() {
    if (pos_ == end_ && !refill()) return kEof;
    return static_cast<unsigned char>(buf_[pos_]);
  }

  // Reads up to (not including) the next '\n' into `line`, dropping one trailing '\r' (CRLF).
  // Returns false at end of input with nothing read.
  bool read_line(std::string& line);

  // 1-based line number of the next byte to be read.
  long long line() const { return line_; }
  // Bytes consumed from the file so far (for throughput figures).
  long long bytes_read() const { return total_read_; }
  const std::string& path() const { return path_; }

 private:
  bool refill();

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  long long line_ = 1;
  long long total_read_ = 0;
  bool at_start_ = true;
  ByteObserver observer_;
};

}  // namespace berth::data
