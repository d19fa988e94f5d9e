// The TensorBoard event file format, for scalars, without TensorFlow or protobuf: records framed
// as TFRecord (uint64 length, masked CRC32C of it, the bytes, masked CRC32C of them, little
// endian) holding Event protos encoded by hand. Each scalar is one Event with one Summary value:
// a 0-d DT_FLOAT tensor tagged for the "scalars" plugin, as tf.summary.scalar writes it. Values
// are rounded to float32 (metrics.jsonl keeps the doubles): TensorBoard's default loader, the
// Rust tensorboard-data-server, drops scalar tensors of any other dtype (DT_DOUBLE included).
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace berth::trainer::tfevents {

// CRC32C (Castagnoli) and the mask TFRecord applies to the CRCs it stores.
uint32_t crc32c(const void* data, size_t size);
uint32_t masked_crc32c(const void* data, size_t size);

// One framed record around `payload`.
std::string frame_record(const std::string& payload);

// The Event every event file starts with (file_version "brain.Event:2").
std::string file_version_event(double wall_time);

struct Scalar {
  std::string tag;
  int64_t step = 0;
  double value = 0;
  double wall_time = 0;  // Unix seconds
};

// The Event payload (unframed) of one scalar.
std::string scalar_event(const Scalar& s);

// The scalar an Event payload holds; nullopt for other events (the file version header).
std::optional<Scalar> parse_scalar_event(const std::string& payload);

// Every intact record payload of a stream, in order. Reading stops at the first record that is
// torn or fails its CRC (the tail a crash left mid-write); `intact_bytes` gets the length of the
// good prefix.
std::vector<std::string> read_records(std::istream& in, uint64_t* intact_bytes = nullptr);

}  // namespace berth::trainer::tfevents
