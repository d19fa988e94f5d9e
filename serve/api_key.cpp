#include "serve/api_key.h"

#include <algorithm>
#include <cctype>

namespace berth::serve {

bool equal_in_constant_time(const std::string& a, const std::string& b) {
  // Every byte of the longer one is visited, whatever differs where; volatile keeps the
  // compiler from ending the loop at the first difference.
  const size_t n = std::max(a.size(), b.size());
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | (x ^ y);
  }
  return diff == 0;
}

bool ApiKey::admits(const std::string& authorization) const {
  if (key_.empty()) return true;
  static const std::string kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  size_t start = kScheme.size();
  while (start < authorization.size() && authorization[start] == ' ') ++start;
  return equal_in_constant_time(authorization.substr(start), key_);
}

}  // namespace berth::serve
