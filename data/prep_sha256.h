// Incremental SHA-256 (FIPS 180-4), so prep can fingerprint its source file while streaming it
// instead of reading it a second time. Dependency-free on purpose: berth_data links no crypto
// library and this is not used for security, only to tell which source a corpus came from.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth::data {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  // Lower-case hex digest; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  void block(const unsigned char* p);

  std::array<uint32_t, 8> h_;
  std::array<unsigned char, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

}  // namespace berth::data
