#include "model/safetensors.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "tests/support/test_support.h"

namespace berth::test {
namespace {

using model::SafetensorsFile;
using nlohmann::json;

// A file from a header and a data section, bypassing the writer's checks.
std::string raw_file(const json& header, const std::string& data, int64_t len_override = -1) {
  std::string h = header.dump();
  uint64_t len = len_override >= 0 ? static_cast<uint64_t>(len_override) : h.size();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  return out + h + data;
}

std::string error_opening(const std::filesystem::path& p, const std::string& tensor = {}) {
  try {
    SafetensorsFile f(p.string());
    if (!tensor.empty()) f.load(tensor);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kModel);
    std::string what = e.what();
    EXPECT_NE(what.find(p.string()), std::string::npos) << what;
    return what;
  }
  return "";
}

// load_into, the loader's path: straight into a float32 tensor (in 4 MB slices, so a large one
// crosses several), through a conversion into another dtype, and twice from the same file (its
// released pages fault back in from the page cache).
TEST(Safetensors, LoadIntoFillsTheTensorWhateverItsSizeAndDtype) {
  TempDir tmp;
  const auto big = at::randn({1536, 1031});  // 6.3 MB, not a multiple of a page or a slice
  const auto small = at::randn({7});
  model::write_safetensors((tmp / "w.safetensors").string(), {{"big", big}, {"small", small}});
  SafetensorsFile f((tmp / "w.safetensors").string());
  for (int pass = 0; pass < 2; ++pass) {
    at::Tensor b = at::zeros({1536, 1031}), s = at::zeros({7});
    f.load_into("big", b);
    f.load_into("small", s);
    EXPECT_TRUE(at::equal(b, big)) << pass;
    EXPECT_TRUE(at::equal(s, small)) << pass;
  }
  at::Tensor half = at::zeros({1536, 1031}, at::kBFloat16);
  f.load_into("big", half);
  EXPECT_TRUE(at::equal(half, big.to(at::kBFloat16)));
  at::Tensor wrong = at::zeros({7, 1});
  EXPECT_THROW(f.load_into("small", wrong), Error);
}

TEST(Safetensors, WriteThenReadRoundTrip) {
  TempDir tmp;
  auto a = at::randn({3, 5});
  auto b = at::arange(7, at::kFloat);
  auto c = at::randn({2, 2}).to(at::kDouble);  // converted to F32 by the writer
  model::write_safetensors((tmp / "w.safetensors").string(), {{"a", a}, {"b.c", b}, {"c", c}},
                           {{"note", "hi"}});
  SafetensorsFile f((tmp / "w.safetensors").string());
  ASSERT_EQ(f.entries().size(), 3u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.metadata().at("note"), "hi");
  EXPECT_TRUE(at::equal(f.load("a"), a));
  EXPECT_TRUE(at::equal(f.load("b.c"), b));
  EXPECT_TRUE(at::equal(f.load("c"), c.to(at::kFloat)));
  EXPECT_EQ(f.find("a")->dtype, "F32");
  EXPECT_EQ(f.find("a")->shape, (std::vector<int64_t>{3, 5}));
  // Only the file itself: the temporary was renamed away.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(tmp.path())) files += !!e.is_regular_file();
  EXPECT_EQ(files, 1);
  // Data starts 8-byte aligned, like the reference writer's files.
  std::string bytes = read_file(tmp / "w.safetensors");
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  EXPECT_EQ(len % 8, 0u);
}

TEST(Safetensors, HalfAndBfloat16AreWidenedExactly) {
  TempDir tmp;
  auto h = at::randn({4, 3}).to(at::kHalf);
  auto bf = at::randn({5}).to(at::kBFloat16);
  std::string data(static_cast<const char*>(h.data_ptr()), h.nbytes());
  data.append(static_cast<const char*>(bf.data_ptr()), bf.nbytes());
  json header = {{"h", {{"dtype", "F16"}, {"shape", {4, 3}}, {"data_offsets", {0, 24}}}},
                 {"bf", {{"dtype", "BF16"}, {"shape", {5}}, {"data_offsets", {24, 34}}}}};
  write_file(tmp / "x.safetensors", raw_file(header, data));
  SafetensorsFile f((tmp / "x.safetensors").string());
  EXPECT_EQ(f.load("h").scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(f.load("h"), h.to(at::kFloat)));
  EXPECT_TRUE(at::equal(f.load("bf"), bf.to(at::kFloat)));
}

TEST(Safetensors, RejectsDamagedFiles) {
  TempDir tmp;
  auto p = tmp / "bad.safetensors";
  json ok = {{"t", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}}};

  write_file(p, "abc");
  EXPECT_NE(error_opening(p).find("truncated"), std::string::npos);

  write_file(p, raw_file(ok, std::string(8, '\0'), 1 << 20));
  EXPECT_NE(error_opening(p).find("header length"), std::string::npos);

  write_file(p, raw_file(ok, std::string(4, '\0')));  // data cut short
  EXPECT_NE(error_opening(p).find("tensor \"t\": data_offsets [0, 8] out of range"),
            std::string::npos);

  json overlap = {{"a", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}},
                  {"b", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {4, 12}}}}};
  write_file(p, raw_file(overlap, std::string(12, '\0')));
  EXPECT_NE(error_opening(p).find("overlaps"), std::string::npos);

  json size = {{"t", {{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 8}}}}};
  write_file(p, raw_file(size, std::string(8, '\0')));
  EXPECT_NE(error_opening(p).find("tensor \"t\": shape [3] of F32 needs 12 bytes"),
            std::string::npos);

  json unknown = {{"t", {{"dtype", "Q4"}, {"shape", {2}}, {"data_offsets", {0, 8}}}}};
  write_file(p, raw_file(unknown, std::string(8, '\0')));
  EXPECT_NE(error_opening(p).find("tensor \"t\": unknown dtype \"Q4\""), std::string::npos);

  write_file(p, raw_file(json::array({1, 2}), ""));
  EXPECT_NE(error_opening(p).find("not a JSON object"), std::string::npos);

  std::string garbage = raw_file(ok, std::string(8, '\0'));
  garbage[9] = '#';
  write_file(p, garbage);
  EXPECT_NE(error_opening(p).find("not valid JSON"), std::string::npos);
}

TEST(Safetensors, KnownButUnsupportedDtypeFailsOnLoadOnly) {
  TempDir tmp;
  auto p = tmp / "ints.safetensors";
  json header = {{"ids", {{"dtype", "I64"}, {"shape", {1}}, {"data_offsets", {0, 8}}}}};
  write_file(p, raw_file(header, std::string(8, '\0')));
  SafetensorsFile f(p.string());  // opening is fine: buffers like position_ids are I64
  EXPECT_NE(error_opening(p, "ids").find("tensor \"ids\" has dtype I64"), std::string::npos);
  EXPECT_THROW(f.load("missing"), Error);
}

}  // namespace
}  // namespace berth::test
