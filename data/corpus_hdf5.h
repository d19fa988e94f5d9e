// Internal helpers for the corpus reader and writer over HDF5's C API: owning handles, one
// process-wide lock (the distro's HDF5 is a serial build and not thread-safe), and errors that
// carry HDF5's own innermost message instead of HDF5 printing its stack on stderr.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace berth::data::h5 {

// Every HDF5 call made by berth_data holds this lock.
std::mutex& mutex();

// Turns HDF5's automatic error-stack printing off (once per process).
void silence_errors();

// The innermost message of HDF5's current error stack (then cleared), or "" when empty.
std::string last_error();

// Owns an hid_t and closes it with the right H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now and reports whether closing succeeded (a file close flushes).
  bool close() {
    bool ok = true;
    if (id_ >= 0 && closer_) ok = closer_(id_) >= 0;
    id_ = -1;
    return ok;
  }
  void reset() { close(); }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Variable-length UTF-8 string type (what h5py reads back as str).
Handle utf8_string_type();

// Attributes on an object (the file's root group for corpora).
void write_string_attr(hid_t obj, const char* name, const std::string& value);
void write_int_attr(hid_t obj, const char* name, int64_t value);
bool has_attr(hid_t obj, const char* name);
// Throw std::runtime_error with HDF5's message when missing or of another type.
std::string read_string_attr(hid_t obj, const char* name);
int64_t read_int_attr(hid_t obj, const char* name);

bool has_dataset(hid_t file, const char* name);
// Length of a 1-D integer dataset; throws std::runtime_error when it is not one.
int64_t dataset_length(hid_t dset, const char* name);
// Reads `count` elements from `start` of a 1-D dataset into `out`, converting to `mem_type`.
void read_range(hid_t dset, hid_t mem_type, int64_t start, int64_t count, void* out);
std::vector<std::string> read_strings(hid_t dset, int64_t count);

}  // namespace berth::data::h5
