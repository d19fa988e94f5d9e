// SHA-256 (FIPS 180-4), self-contained so that Berth needs no crypto library: checkpoint manifests,
// corpus source fingerprints and corpus cache keys.
// Used for integrity (detecting torn or corrupted files), not for security.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace berth {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  // Finishes the hash; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> finish();
  // finish() as 64 lowercase hex digits, the format of `sha256sum` and of manifest.json.
  std::string finish_hex();

 private:
  void compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

std::string sha256_hex(std::string_view data);

// Hashes a file in fixed-size chunks (checkpoint files are GBs; never load them whole).
// Throws berth::Error (kModel) naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace berth
