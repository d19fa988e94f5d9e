#include "checkpoint/layout.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <system_error>

namespace berth::checkpoint {

namespace fs = std::filesystem;

std::string step_dir_name(std::int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%08lld", static_cast<long long>(step));
  return buf;
}

std::optional<std::int64_t> parse_step_dir_name(const std::string& name) {
  static const std::string kPrefix = "step-";
  if (name.size() <= kPrefix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0) return {};
  std::string digits = name.substr(kPrefix.size());
  // 18 digits keep the value inside int64.
  if (digits.size() > 18) return {};
  if (!std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
    return {};
  return std::stoll(digits);
}

std::vector<StepDir> list_step_dirs(const fs::path& root) {
  std::vector<StepDir> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    auto step = parse_step_dir_name(entry.path().filename().string());
    if (!step || !entry.is_directory(ec) || entry.is_symlink(ec)) continue;
    out.push_back({*step, entry.path()});
  }
  std::sort(out.begin(), out.end(),
            [](const StepDir& a, const StepDir& b) { return a.step < b.step; });
  return out;
}

std::optional<fs::path> read_pointer(const fs::path& root, const std::string& pointer) {
  std::error_code ec;
  fs::path link = root / pointer;
  if (!fs::is_symlink(fs::symlink_status(link, ec))) return {};
  fs::path target = fs::read_symlink(link, ec);
  if (ec) return {};
  return target.is_absolute() ? target : root / target;
}

}  // namespace berth::checkpoint
