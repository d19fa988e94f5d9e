// Reading a whole file, once for every module. Callers decide what a missing file means (an
// error naming their component, or "not there yet"), so this returns nothing for a file that
// cannot be opened or read to the end.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace berth {

std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace berth
