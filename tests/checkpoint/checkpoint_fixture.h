// Shared by the checkpoint tests: stand-in checkpoint contents (the real ones come from the
// trainer; the checkpoint module only sees files) and small file helpers.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/test_support.h"

namespace berth::checkpoint::testing {

// The files a trainer writes, with contents that depend on the step so that checkpoints differ.
inline void fill_fake_checkpoint(const std::filesystem::path& dir, long long step) {
  using berth::test::write_file;
  std::string s = std::to_string(step);
  write_file(dir / "config.json", "{\"model_type\": \"bert\", \"step\": " + s + "}\n");
  write_file(dir / "model.safetensors", std::string(200000, 'w') + s);
  write_file(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");
  write_file(dir / "tokenizer_config.json", "{\"do_lower_case\": true}\n");
  write_file(dir / "trainer_state.json", "{\"step\": " + s + "}\n");
  write_file(dir / "optimizer.safetensors", std::string(100000, 'o') + s);
  write_file(dir / "rng.bin", "rng" + s);
  write_file(dir / "config.toml", "[train]\nsteps = " + s + "\n");
}

// Flips one byte in the middle of `file` (same size: only the checksum can notice).
inline void flip_byte(const std::filesystem::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  auto size = static_cast<std::streamoff>(f.tellg());
  f.seekg(size / 2);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x01);
  f.seekp(size / 2);
  f.write(&c, 1);
}

}  // namespace berth::checkpoint::testing
