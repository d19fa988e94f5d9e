#include "common/sha256.h"

#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace berth {

TEST(Sha256, KnownVectors) {
  // FIPS 180-4 / NIST example vectors.
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ChunkingDoesNotChangeTheDigest) {
  std::string data(10007, '\0');
  std::mt19937 rng(42);
  for (auto& c : data) c = static_cast<char>(rng());
  std::string whole = sha256_hex(data);
  // Splits around the 55/56/64-byte padding boundaries and odd sizes.
  for (std::size_t piece : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 1000u}) {
    Sha256 h;
    for (std::size_t i = 0; i < data.size(); i += piece) {
      h.update(data.data() + i, std::min(piece, data.size() - i));
    }
    EXPECT_EQ(h.finish_hex(), whole) << "piece " << piece;
  }
}

TEST(Sha256, FileMatchesSha256sum) {
  test::TempDir tmp;
  // 3.5 MB plus a tail: several read chunks and a partial last one.
  std::string data(3 * 1024 * 1024 + 512 * 1024 + 17, '\0');
  std::mt19937 rng(7);
  for (auto& c : data) c = static_cast<char>(rng());
  auto file = tmp / "big.bin";
  test::write_file(file, data);
  auto r = test::run_command("sha256sum '" + file.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sha256_file(file), r.out.substr(0, 64));
  EXPECT_EQ(sha256_file(file), sha256_hex(data));
}

TEST(Sha256, MissingFileIsAModelErrorNamingIt) {
  test::TempDir tmp;
  try {
    sha256_file(tmp / "nope.bin");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel);
    EXPECT_NE(e.message().find("nope.bin"), std::string::npos);
  }
}

}  // namespace berth
