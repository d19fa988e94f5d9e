// Bearer-token authentication for `berth serve --api-key` (or BERTH_API_KEY): every route but
// /health needs "Authorization: Bearer <key>", as TEI's --api-key and huggingface_hub's
// InferenceClient(token=...) send it. The comparison takes the same time wherever the first
// difference is, so response times do not reveal the key a byte at a time; the key is never
// logged.
#pragma once

#include <string>

namespace berth::serve {

class ApiKey {
 public:
  ApiKey() = default;  // no key: every request is let in
  explicit ApiKey(std::string key) : key_(std::move(key)) {}

  bool required() const { return !key_.empty(); }
  // Whether an Authorization header value carries the key ("Bearer" is case-insensitive).
  bool admits(const std::string& authorization) const;

 private:
  std::string key_;
};

// a == b in time that depends on the lengths only.
bool equal_in_constant_time(const std::string& a, const std::string& b);

}  // namespace berth::serve
