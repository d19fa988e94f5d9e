#include "data/corpus_hdf5.h"

#include <stdexcept>

namespace berth::data::h5 {

std::mutex& mutex() {
  static std::mutex m;
  return m;
}

void silence_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

namespace {
herr_t keep_innermost(unsigned n, const H5E_error2_t* e, void* data) {
  // Walking downward, the last entry is the innermost: the actual cause ("file signature not
  // found", "truncated file") rather than "unable to open file".
  (void)n;
  if (e && e->desc) *static_cast<std::string*>(data) = e->desc;
  return 0;
}

[[noreturn]] void fail(const std::string& what) {
  std::string detail = last_error();
  throw std::runtime_error(detail.empty() ? what : what + " (HDF5: " + detail + ")");
}
}  // namespace

std::string last_error() {
  std::string msg;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg;
}

Handle utf8_string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!t.valid() || H5Tset_size(t.get(), H5T_VARIABLE) < 0 ||
      H5Tset_cset(t.get(), H5T_CSET_UTF8) < 0) {
    fail("cannot make a string type");
  }
  return t;
}

void write_string_attr(hid_t obj, const char* name, const std::string& value) {
  Handle type = utf8_string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = value.c_str();
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), &p) < 0) {
    fail(std::string("cannot write attribute ") + name);
  }
}

void write_int_attr(hid_t obj, const char* name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) < 0) {
    fail(std::string("cannot write attribute ") + name);
  }
}

bool has_attr(hid_t obj, const char* name) {
  return H5Aexists(obj, name) > 0;
}

std::string read_string_attr(hid_t obj, const char* name) {
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fail(std::string("attribute '") + name + "' is missing");
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Sget_simple_extent_npoints(space.get()) != 1) {
    fail(std::string("attribute '") + name + "' is not a single string");
  }
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem = utf8_string_type();
    char* p = nullptr;
    if (H5Aread(attr.get(), mem.get(), &p) < 0) fail(std::string("cannot read attribute ") + name);
    std::string s = p ? p : "";
    if (p) H5free_memory(p);
    return s;
  }
  // Fixed-length strings (as other tools may write) are read too.
  size_t size = H5Tget_size(type.get());
  std::string s(size, '\0');
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), size);
  if (H5Aread(attr.get(), mem.get(), s.data()) < 0) {
    fail(std::string("cannot read attribute ") + name);
  }
  s.resize(s.find('\0') == std::string::npos ? size : s.find('\0'));
  return s;
}

int64_t read_int_attr(hid_t obj, const char* name) {
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fail(std::string("attribute '") + name + "' is missing");
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Sget_simple_extent_npoints(space.get()) != 1) {
    fail(std::string("attribute '") + name + "' is not a single integer");
  }
  int64_t v = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_INT64, &v) < 0) {
    fail(std::string("cannot read attribute ") + name);
  }
  return v;
}

bool has_dataset(hid_t file, const char* name) {
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name(file, name, &info, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_DATASET;
}

int64_t dataset_length(hid_t dset, const char* name) {
  Handle space(H5Dget_space(dset), H5Sclose);
  if (!space.valid()) fail(std::string("cannot read the shape of ") + name);
  if (H5Sget_simple_extent_ndims(space.get()) != 1) {
    throw std::runtime_error(std::string("dataset '") + name + "' is not one-dimensional");
  }
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  // A damaged header may claim any length, and HDF5 reads chunks that were never written as
  // fill values: a 20 KB file claiming 2^28 offsets made the reader allocate gigabytes (found by
  // fuzz_corpus). Without compression a dataset cannot hold more elements than the bytes the
  // file stores for it; with a filter the stored size says nothing, so it is not checked.
  Handle type(H5Dget_type(dset), H5Tclose);
  Handle dcpl(H5Dget_create_plist(dset), H5Pclose);
  const size_t elem = type.valid() ? H5Tget_size(type.get()) : 0;
  if (elem > 0 && dcpl.valid() && H5Pget_nfilters(dcpl.get()) == 0) {
    const hsize_t stored = H5Dget_storage_size(dset);
    if (n > stored / elem) {
      throw std::runtime_error(std::string("dataset '") + name + "' claims " + std::to_string(n) +
                               " elements but the file stores only " + std::to_string(stored) +
                               " bytes of it (the file is truncated or damaged)");
    }
  }
  return static_cast<int64_t>(n);
}

void read_range(hid_t dset, hid_t mem_type, int64_t start, int64_t count, void* out) {
  if (count == 0) return;
  Handle fspace(H5Dget_space(dset), H5Sclose);
  hsize_t s = static_cast<hsize_t>(start), c = static_cast<hsize_t>(count);
  Handle mspace(H5Screate_simple(1, &c, nullptr), H5Sclose);
  if (!fspace.valid() ||
      H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &s, nullptr, &c, nullptr) < 0 ||
      H5Dread(dset, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, out) < 0) {
    fail("cannot read elements " + std::to_string(start) + ".." + std::to_string(start + count));
  }
}

std::vector<std::string> read_strings(hid_t dset, int64_t count) {
  Handle type(H5Dget_type(dset), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0) {
    throw std::runtime_error("not a dataset of variable-length strings");
  }
  std::vector<char*> ptrs(static_cast<size_t>(count), nullptr);
  Handle mem = utf8_string_type();
  if (count > 0 && H5Dread(dset, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) {
    fail("cannot read strings");
  }
  std::vector<std::string> out;
  out.reserve(ptrs.size());
  for (char* p : ptrs) {
    out.emplace_back(p ? p : "");
    if (p) H5free_memory(p);
  }
  return out;
}

}  // namespace berth::data::h5
