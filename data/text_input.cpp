#include "data/text_input.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace berth::data {

namespace {
constexpr size_t kChunk = 1 << 20;  // 1 MiB: large enough that fread overhead vanishes
// A small regular file gets a buffer of its size: a 1 MiB buffer per reader (allocated and
// zeroed) cost more than reading a few-KiB file, which is what a fuzzer or a test does
// thousands of times. Not below a page, for files whose size stat() does not know (/proc).
constexpr size_t kMinChunk = 4096;

size_t chunk_for(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return kChunk;  // a pipe or a device: its size is unknown
  const auto size = static_cast<unsigned long long>(st.st_size);
  return static_cast<size_t>(std::clamp<unsigned long long>(size, kMinChunk, kChunk));
}
}  // namespace

TextInput::TextInput(const std::string& path, ByteObserver observer)
    : path_(path), observer_(std::move(observer)) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw data_error("data", "cannot open input file " + path + ": " + std::strerror(errno),
                     "check the path (relative paths are taken from the current directory)");
  }
  if (S_ISDIR(st.st_mode)) {
    throw data_error("data", "input " + path + " is a directory, not a file",
                     "name the CSV/TSV/JSONL/TXT file inside it");
  }
  buf_.resize(chunk_for(st));
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) {
    throw data_error("data", "cannot open input file " + path + ": " + std::strerror(errno),
                     "check that the file is readable by this user");
  }
}

TextInput::~TextInput() {
  if (file_) std::fclose(file_);
}

bool TextInput::refill() {
  if (!file_) return false;
  size_t n = std::fread(buf_.data(), 1, buf_.size(), file_);
  if (n == 0) {
    if (std::ferror(file_)) {
      throw data_error("data", "read error in " + path_ + " near line " + std::to_string(line_),
                       "the file may be on a failing or disconnected file system");
    }
    std::fclose(file_);
    file_ = nullptr;
    return false;
  }
  total_read_ += static_cast<long long>(n);
  if (observer_) observer_(std::string_view(buf_.data(), n));
  pos_ = 0;
  end_ = n;
  if (at_start_) {
    at_start_ = false;
    // A UTF-8 BOM (Excel writes one) is not part of the first column's name.
    if (n >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
    if (pos_ == end_) return refill();
  }
  return true;
}

bool TextInput::read_line(std::string& line) {
  line.clear();
  if (pos_ == end_ && !refill()) return false;
  for (;;) {
    const char* start = buf_.data() + pos_;
    const void* nl = std::memchr(start, '\n', end_ - pos_);
    if (nl) {
      size_t len = static_cast<const char*>(nl) - start;
      line.append(start, len);
      pos_ += len + 1;
      ++line_;
      break;
    }
    line.append(start, end_ - pos_);
    pos_ = end_;
    if (!refill()) break;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

}  // namespace berth::data
