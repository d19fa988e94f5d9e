#include "trainer/tfevents.h"

#include <array>
#include <cstring>

namespace berth::trainer::tfevents {

namespace {

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected 0x1EDC6F41
    t[i] = c;
  }
  return t;
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// --- protobuf wire format (only what scalar events need) ---
enum Wire { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_key(std::string& out, int field, Wire wire) {
  put_varint(out, (uint64_t(field) << 3) | wire);
}
void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_key(out, field, kBytes);
  put_varint(out, bytes.size());
  out += bytes;
}
void put_double(std::string& out, int field, double v) {
  put_key(out, field, kFixed64);
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  put_le(out, bits, 8);
}

// A field of a message being read: its number, wire type and value (varint/fixed as an integer,
// length-delimited as a byte range).
struct Field {
  int number = 0;
  Wire wire = kVarint;
  uint64_t integer = 0;
  std::string bytes;
};

class Reader {
 public:
  explicit Reader(const std::string& s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool done() const { return p_ >= end_; }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      auto b = static_cast<unsigned char>(*p_++);
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool next(Field& f) {
    uint64_t key;
    if (!varint(key)) return false;
    f.number = static_cast<int>(key >> 3);
    f.wire = static_cast<Wire>(key & 7);
    switch (f.wire) {
      case kVarint:
        return varint(f.integer);
      case kFixed64:
      case kFixed32: {
        int n = f.wire == kFixed64 ? 8 : 4;
        if (end_ - p_ < n) return false;
        f.integer = get_le(p_, n);
        p_ += n;
        return true;
      }
      case kBytes: {
        uint64_t n;
        if (!varint(n) || uint64_t(end_ - p_) < n) return false;
        f.bytes.assign(p_, n);
        p_ += n;
        return true;
      }
    }
    return false;
  }

 private:
  const char* p_;
  const char* end_;
};

double as_double(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}

double as_float(uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

constexpr int kDtFloat = 1;          // tensorflow.DataType.DT_FLOAT
constexpr int kDataClassScalar = 1;  // tensorboard SummaryMetadata.DataClass.DATA_CLASS_SCALAR

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  static const auto table = make_crc_table();
  uint32_t c = 0xFFFFFFFFu;
  auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  uint32_t c = crc32c(data, size);
  return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

std::string frame_record(const std::string& payload) {
  std::string out, len;
  put_le(len, payload.size(), 8);
  out += len;
  put_le(out, masked_crc32c(len.data(), len.size()), 4);
  out += payload;
  put_le(out, masked_crc32c(payload.data(), payload.size()), 4);
  return out;
}

std::string file_version_event(double wall_time) {
  std::string e;
  put_double(e, 1, wall_time);       // Event.wall_time
  put_bytes(e, 3, "brain.Event:2");  // Event.file_version
  return e;
}

std::string scalar_event(const Scalar& s) {
  // TensorProto{dtype: DT_FLOAT, tensor_shape: {} (0-d), float_val: [value] (packed)}. Not
  // DT_DOUBLE: TensorBoard's default loader (the Rust tensorboard-data-server) drops scalar
  // tensors of any other dtype, so a run written in doubles showed no curves (issue 30).
  std::string tensor, packed;
  put_key(tensor, 1, kVarint);
  put_varint(tensor, kDtFloat);
  put_bytes(tensor, 2, "");
  const float rounded = static_cast<float>(s.value);
  uint32_t bits;
  std::memcpy(&bits, &rounded, 4);
  put_le(packed, bits, 4);
  put_bytes(tensor, 5, packed);
  // SummaryMetadata{plugin_data: {plugin_name: "scalars"}, data_class: DATA_CLASS_SCALAR}
  std::string plugin, metadata;
  put_bytes(plugin, 1, "scalars");
  put_bytes(metadata, 1, plugin);
  put_key(metadata, 4, kVarint);
  put_varint(metadata, kDataClassScalar);
  // Summary.Value{tag: 1, tensor: 8, metadata: 9}
  std::string value;
  put_bytes(value, 1, s.tag);
  put_bytes(value, 8, tensor);
  put_bytes(value, 9, metadata);
  std::string summary;
  put_bytes(summary, 1, value);
  // Event{wall_time: 1, step: 2, summary: 5}
  std::string e;
  put_double(e, 1, s.wall_time);
  put_key(e, 2, kVarint);
  put_varint(e, static_cast<uint64_t>(s.step));
  put_bytes(e, 5, summary);
  return e;
}

std::optional<Scalar> parse_scalar_event(const std::string& payload) {
  Scalar s;
  std::optional<std::string> summary;
  Reader event(payload);
  Field f;
  while (!event.done()) {
    if (!event.next(f)) return std::nullopt;
    if (f.number == 1 && f.wire == kFixed64) s.wall_time = as_double(f.integer);
    if (f.number == 2 && f.wire == kVarint) s.step = static_cast<int64_t>(f.integer);
    if (f.number == 5 && f.wire == kBytes) summary = f.bytes;
  }
  if (!summary) return std::nullopt;
  Reader sr(*summary);
  std::optional<std::string> value;
  while (!sr.done()) {
    if (!sr.next(f)) return std::nullopt;
    if (f.number == 1 && f.wire == kBytes) value = f.bytes;  // the first value (one per event)
    if (value) break;
  }
  if (!value) return std::nullopt;
  Reader vr(*value);
  bool found = false;
  while (!vr.done()) {
    if (!vr.next(f)) return std::nullopt;
    if (f.number == 1 && f.wire == kBytes) s.tag = f.bytes;
    if (f.number == 2 && f.wire == kFixed32)  // simple_value (float), as other writers use
      s.value = as_float(static_cast<uint32_t>(f.integer)), found = true;
    if (f.number == 8 && f.wire == kBytes) {
      Reader tr(f.bytes);
      Field t;
      while (!tr.done()) {
        if (!tr.next(t)) return std::nullopt;
        // float_val (5) as Berth writes it, packed or not; double_val (6) as Berth wrote it
        // before issue 30, so that resuming an older run keeps its curves.
        if (t.number == 5 && t.wire == kBytes && t.bytes.size() == 4)
          s.value = as_float(static_cast<uint32_t>(get_le(t.bytes.data(), 4))), found = true;
        if (t.number == 5 && t.wire == kFixed32)
          s.value = as_float(static_cast<uint32_t>(t.integer)), found = true;
        if (t.number == 6 && t.wire == kBytes && t.bytes.size() == 8)
          s.value = as_double(get_le(t.bytes.data(), 8)), found = true;
      }
    }
  }
  if (!found || s.tag.empty()) return std::nullopt;
  return s;
}

std::vector<std::string> read_records(std::istream& in, uint64_t* intact_bytes) {
  std::vector<std::string> out;
  uint64_t good = 0;
  for (;;) {
    char head[12];
    if (!in.read(head, 12)) break;
    if (get_le(head + 8, 4) != masked_crc32c(head, 8)) break;
    uint64_t n = get_le(head, 8);
    if (n > (uint64_t(1) << 30)) break;  // no scalar event is that long: a corrupt length
    std::string payload(n, '\0');
    char tail[4];
    if (!in.read(payload.data(), static_cast<std::streamsize>(n)) || !in.read(tail, 4)) break;
    if (get_le(tail, 4) != masked_crc32c(payload.data(), payload.size())) break;
    out.push_back(std::move(payload));
    good += 12 + n + 4;
  }
  if (intact_bytes) *intact_bytes = good;
  return out;
}

}  // namespace berth::trainer::tfevents
