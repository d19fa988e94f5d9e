#include "data/corpus_checksum.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "common/sha256.h"

namespace berth::data {

namespace {

constexpr const char* kTag = "berth-corpus-sha256 ";
constexpr size_t kTagLen = 20;
constexpr size_t kHexLen = 64;

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

// SHA-256 of the bytes after the user block; false when the file cannot be read.
bool hash_body(int fd, std::string& hex) {
  Sha256 h;
  std::vector<char> buf(1 << 20);
  off_t at = kCorpusUserBlockBytes;
  for (;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
    at += n;
  }
  hex = h.finish_hex();
  return true;
}

}  // namespace

void sign_corpus(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDWR | O_CLOEXEC)};
  if (f.fd < 0) fail("cannot open", path);
  std::string hex;
  if (!hash_body(f.fd, hex)) fail("cannot read", path);
  std::string block = kTag + hex + "\n";
  block.resize(static_cast<size_t>(kCorpusUserBlockBytes), '\0');
  if (::pwrite(f.fd, block.data(), block.size(), 0) != static_cast<ssize_t>(block.size()))
    fail("cannot write the checksum into", path);
}

std::string corpus_checksum_problem(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return std::string("cannot be opened: ") + std::strerror(errno);
  char head[kTagLen + kHexLen + 1] = {};
  ssize_t n = ::pread(f.fd, head, sizeof head, 0);
  if (n != static_cast<ssize_t>(sizeof head) || std::memcmp(head, kTag, kTagLen) != 0 ||
      head[kTagLen + kHexLen] != '\n') {
    return "has no Berth checksum block (it is not a corpus from `berth prep` of this version, "
           "or its first bytes are damaged)";
  }
  const std::string expected(head + kTagLen, kHexLen);
  std::string actual;
  if (!hash_body(f.fd, actual)) return std::string("cannot be read: ") + std::strerror(errno);
  if (actual != expected) {
    return "does not match its checksum (SHA-256 " + actual.substr(0, 12) + "..., written as " +
           expected.substr(0, 12) + "...): it was truncated, damaged or edited after prep";
  }
  return "";
}

}  // namespace berth::data
