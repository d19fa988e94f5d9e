#include "common/file_read.h"

#include <fstream>
#include <iterator>

namespace berth {

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  try {
    // libstdc++ opens a directory, then throws from the first read (EISDIR).
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;  // an I/O error part way: not a shorter file
    return text;
  } catch (const std::ios_base::failure&) {
    return std::nullopt;
  }
}

}  // namespace berth
