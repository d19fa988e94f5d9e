#include "model/safetensors.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include "common/error.h"

namespace berth::model {

namespace {

using nlohmann::json;

// The reference implementation refuses larger headers; so do we, before allocating for one.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

[[noreturn]] void fail(const std::string& path, const std::string& what,
                       const std::string& hint = {}) {
  throw model_error("model", path + ": " + what, hint);
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

uint64_t read_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

size_t safetensors_dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "BOOL" || d == "U8" || d == "I8" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    ::close(fd_);
    fail(path, std::string("cannot stat: ") + std::strerror(errno));
  }
  size_ = static_cast<uint64_t>(st.st_size);
  // From here the destructor is not run on a throw, so unmap/close by hand via this guard.
  struct Guard {
    SafetensorsFile* f;
    bool armed = true;
    ~Guard() {
      if (!armed) return;
      if (f->map_) ::munmap(const_cast<uint8_t*>(f->map_), f->size_);
      ::close(f->fd_);
    }
  } guard{this};

  if (size_ < 8)
    fail(path, "truncated: " + std::to_string(size_) + " bytes, not even the 8-byte header length",
         "the download or copy was probably interrupted; fetch the file again");
  void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
  if (m == MAP_FAILED) fail(path, std::string("cannot mmap: ") + std::strerror(errno));
  map_ = static_cast<const uint8_t*>(m);

  uint64_t header_len = read_le64(map_);
  if (header_len > kMaxHeaderBytes || header_len > size_ - 8)
    fail(path,
         "header length " + std::to_string(header_len) + " runs past the end of the file (" +
             std::to_string(size_) + " bytes)",
         "the file is truncated or not a safetensors file");
  data_start_ = 8 + header_len;
  const uint64_t data_size = size_ - data_start_;

  json header;
  try {
    header = json::parse(map_ + 8, map_ + 8 + header_len);
  } catch (const json::exception& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");

  for (auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) fail(path, "__metadata__ is not an object");
      for (auto& [k, mv] : v.items()) {
        if (!mv.is_string()) fail(path, "__metadata__ value for \"" + k + "\" is not a string");
        metadata_[k] = mv.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor \"" + name + "\"";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets"))
      fail(path, where + ": expected {dtype, shape, data_offsets}");
    SafetensorsEntry e;
    e.name = name;
    if (!v["dtype"].is_string()) fail(path, where + ": dtype is not a string");
    e.dtype = v["dtype"].get<std::string>();
    size_t elem = safetensors_dtype_size(e.dtype);
    if (elem == 0) fail(path, where + ": unknown dtype \"" + e.dtype + "\"");
    if (!v["shape"].is_array()) fail(path, where + ": shape is not an array");
    uint64_t count = 1;
    for (auto& d : v["shape"]) {
      if (!d.is_number_unsigned())
        fail(path, where + ": shape " + v["shape"].dump() + " is invalid");
      uint64_t n = d.get<uint64_t>();
      if (n != 0 && count > std::numeric_limits<uint64_t>::max() / 8 / n)
        fail(path, where + ": shape " + v["shape"].dump() + " is too large");
      count *= n;
      e.shape.push_back(static_cast<int64_t>(n));
    }
    auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      fail(path, where + ": data_offsets must be [begin, end]");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      fail(path,
           where + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
               "] out of range (data section has " + std::to_string(data_size) + " bytes)",
           "the file is truncated or corrupt");
    if (e.end - e.begin != count * elem)
      fail(path, where + ": shape " + shape_string(e.shape) + " of " + e.dtype + " needs " +
                     std::to_string(count * elem) + " bytes but data_offsets span " +
                     std::to_string(e.end - e.begin));
    entries_.push_back(std::move(e));
  }

  // Overlapping ranges would alias two tensors: a sign of a corrupt or malicious header.
  std::vector<const SafetensorsEntry*> by_offset;
  for (auto& e : entries_) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const auto* prev = by_offset[i - 1];
    const auto* cur = by_offset[i];
    if (cur->begin < prev->end && cur->end > cur->begin)
      fail(path, "tensor \"" + cur->name + "\" overlaps tensor \"" + prev->name + "\" in the data");
  }
  std::sort(entries_.begin(), entries_.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  guard.armed = false;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), size_);
  if (fd_ >= 0) ::close(fd_);
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  auto it =
      std::lower_bound(entries_.begin(), entries_.end(), name,
                       [](const SafetensorsEntry& e, const std::string& n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

at::Tensor SafetensorsFile::load(const std::string& name) const {
  const SafetensorsEntry* e = find(name);
  if (!e) fail(path_, "no tensor \"" + name + "\"");
  at::ScalarType type;
  if (e->dtype == "F32")
    type = at::kFloat;
  else if (e->dtype == "F16")
    type = at::kHalf;
  else if (e->dtype == "BF16")
    type = at::kBFloat16;
  else
    fail(path_, "tensor \"" + name + "\" has dtype " + e->dtype +
                    ", but only F32, F16 and BF16 weights are supported");
  // Copy rather than wrap: the mapping may be unaligned for the element type and dies with us.
  // The data is little-endian, as is every platform LibTorch supports.
  at::Tensor t = at::empty(e->shape, at::TensorOptions().dtype(type));
  if (e->end > e->begin)
    std::memcpy(t.data_ptr(), map_ + data_start_ + e->begin, e->end - e->begin);
  return type == at::kFloat ? t : t.to(at::kFloat);
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<at::Tensor> data;
  json header = json::object();
  json meta = json::object();
  meta["format"] = "pt";
  for (auto& [k, v] : metadata) meta[k] = v;
  header["__metadata__"] = meta;
  uint64_t offset = 0;
  std::set<std::string> seen;
  for (auto& [name, tensor] : tensors) {
    if (name == "__metadata__" || !seen.insert(name).second)
      throw model_error("model", path + ": tensor name \"" + name + "\" is reserved or repeated");
    at::Tensor t = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
    uint64_t bytes = static_cast<uint64_t>(t.numel()) * sizeof(float);
    header[name] = {
        {"dtype", "F32"}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(std::move(t));
  }
  std::string h = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  h.append((8 - h.size() % 8) % 8, ' ');

  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp =
      (dir / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()))).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(tmp, std::string("cannot create: ") + std::strerror(errno));
  auto write_all = [&](const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      ssize_t w = ::write(fd, c, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        fail(tmp, std::string("write failed: ") + std::strerror(err), "is the disk full?");
      }
      c += w;
      n -= static_cast<size_t>(w);
    }
  };
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>((h.size() >> (8 * i)) & 0xff);
  write_all(len, 8);
  write_all(h.data(), h.size());
  for (auto& t : data) write_all(t.data_ptr(), static_cast<size_t>(t.numel()) * sizeof(float));
  int synced = ::fsync(fd);
  int sync_err = errno;
  int closed = ::close(fd);
  if (synced != 0 || closed != 0) {
    int err = synced != 0 ? sync_err : errno;
    ::unlink(tmp.c_str());
    fail(tmp, std::string("cannot flush to disk: ") + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(path, std::string("cannot rename the temporary file into place: ") + std::strerror(err));
  }
  // The new name is durable only once its directory is.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    int err = errno;
    if (dfd >= 0) ::close(dfd);
    fail(dir.string(), std::string("cannot flush the directory to disk: ") + std::strerror(err));
  }
  ::close(dfd);
}

}  // namespace berth::model
