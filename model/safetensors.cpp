#include "model/safetensors.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "common/durable_fs.h"
#include "common/error.h"

namespace berth::model {

namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& what,
                       const std::string& hint = {}) {
  throw model_error("model", path + ": " + what, hint);
}

}  // namespace

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

  if (size_ > 0) {  // an empty file cannot be mapped; the parser reports it as truncated
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (m == MAP_FAILED) fail(path, std::string("cannot mmap: ") + std::strerror(errno));
    map_ = static_cast<const uint8_t*>(m);
  }

  SafetensorsHeader h = parse_safetensors_header(map_, size_, path);
  data_start_ = h.data_start;
  entries_ = std::move(h.entries);
  metadata_ = std::move(h.metadata);
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

namespace {

// Drops the mapping's pages that lie wholly inside [begin, end) from this process (they stay in
// the page cache; a later read faults them back in). MAP_PRIVATE and never written: nothing is
// lost. Best effort: a failure only costs memory.
void release_pages(const uint8_t* map, uint64_t begin, uint64_t end) {
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last > first) ::madvise(const_cast<uint8_t*>(map) + first, last - first, MADV_DONTNEED);
}

}  // namespace

void SafetensorsFile::load_into(const std::string& name, at::Tensor& out) const {
  const SafetensorsEntry* e = find(name);
  if (!e) fail(path_, "no tensor \"" + name + "\"");
  if (!at::IntArrayRef(e->shape).equals(out.sizes()))
    fail(path_, "tensor \"" + name + "\" does not have the shape it is loaded into");
  if (e->dtype == "F32" && out.is_cpu() && out.scalar_type() == at::kFloat && out.is_contiguous()) {
    // The data is little-endian, as is every platform LibTorch supports. In slices, each
    // released once copied: the largest tensor (a word embedding: 47 MB of the default model)
    // is then never resident twice either.
    constexpr uint64_t kSlice = 4 << 20;
    auto* to = static_cast<uint8_t*>(out.data_ptr());
    for (uint64_t at = e->begin; at < e->end; at += kSlice) {
      const uint64_t end = std::min(e->end, at + kSlice);
      std::memcpy(to + (at - e->begin), map_ + data_start_ + at, end - at);
      release_pages(map_, data_start_ + at, data_start_ + end);
    }
  } else {
    out.copy_(load(name));
  }
  release_pages(map_, data_start_ + e->begin, data_start_ + e->end);
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

  // Through common's durable writer: the file appears under `path` only whole and fsynced.
  durable::AtomicFile f(path, {"model", ExitCode::kModel});
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>((h.size() >> (8 * i)) & 0xff);
  f.write(len, 8);
  f.write(h);
  for (auto& t : data) f.write(t.data_ptr(), static_cast<size_t>(t.numel()) * sizeof(float));
  f.commit();
}

}  // namespace berth::model
