#include "data/corpus_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "common/durable_fs.h"
#include "common/error.h"
#include "data/corpus_checksum.h"
#include "data/corpus_hdf5.h"

namespace berth::data {

namespace {
// Chunks of 128 KiB of ids: big enough for fast sequential writes, small enough that a reader
// fetching one random example does not drag in megabytes.

h5::Handle create_extendible(hid_t file, const char* name, hid_t type, hsize_t chunk) {
  hsize_t zero = 0, unlimited = H5S_UNLIMITED;
  h5::Handle space(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
  h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), 1, &chunk);
  h5::Handle d(H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
               H5Dclose);
  if (!d.valid()) throw std::runtime_error(std::string("cannot create dataset ") + name);
  return d;
}

void append_to(hid_t dset, hid_t mem_type, hsize_t old_size, const void* data, hsize_t count) {
  if (count == 0) return;
  hsize_t new_size = old_size + count;
  if (H5Dset_extent(dset, &new_size) < 0) throw std::runtime_error("cannot extend a dataset");
  h5::Handle fspace(H5Dget_space(dset), H5Sclose);
  h5::Handle mspace(H5Screate_simple(1, &count, nullptr), H5Sclose);
  if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &old_size, nullptr, &count, nullptr) < 0 ||
      H5Dwrite(dset, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, data) < 0) {
    throw std::runtime_error("cannot write to a dataset");
  }
}
}  // namespace

struct CorpusWriter::Impl {
  std::string path;
  std::string tmp;
  CorpusLayout layout;
  h5::Handle file, ids, types, offsets, labels, rows, set_ids, set_offsets;
  int64_t n = 0;         // examples written
  int64_t tokens = 0;    // ids written
  int64_t set_size = 0;  // label set entries written (multi-label)
  bool committed = false;
  // Batch staging, reused across appends.
  std::vector<int32_t> b_ids, b_labels, b_set_ids;
  std::vector<int8_t> b_types;
  std::vector<int64_t> b_offsets, b_rows, b_set_offsets;

  [[noreturn]] void fail(const std::string& what) {
    std::string detail = h5::last_error();
    throw data_error("data",
                     "cannot write corpus " + tmp + ": " + what +
                         (detail.empty() ? "" : " (HDF5: " + detail + ")"),
                     "check free disk space and that the output directory is writable");
  }
};

CorpusWriter::CorpusWriter(std::string path, CorpusLayout layout) : impl_(new Impl) {
  auto& m = *impl_;
  m.path = std::move(path);
  m.tmp = m.path + ".tmp-" + std::to_string(::getpid());
  m.layout = layout;
  std::lock_guard<std::mutex> lock(h5::mutex());
  h5::silence_errors();
  // The user block that sign_corpus() fills once the file is closed (data/corpus_checksum.h).
  h5::Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  if (!fcpl.valid() ||
      H5Pset_userblock(fcpl.get(), static_cast<hsize_t>(kCorpusUserBlockBytes)) < 0)
    m.fail("cannot set up the file's checksum block");
  m.file = h5::Handle(H5Fcreate(m.tmp.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), H5Fclose);
  if (!m.file.valid()) {
    // HDF5 may have created the file before a write failed (a full disk): no trace is left.
    std::remove(m.tmp.c_str());
    m.fail("cannot create the file");
  }
  try {
    hid_t f = m.file.get();
    const auto id_chunk = static_cast<hsize_t>(layout.id_chunk);
    const auto row_chunk = static_cast<hsize_t>(layout.row_chunk);
    m.ids = create_extendible(f, "input_ids", H5T_STD_I32LE, id_chunk);
    if (layout.pairs) m.types = create_extendible(f, "token_type_ids", H5T_STD_I8LE, id_chunk);
    m.offsets = create_extendible(f, "offsets", H5T_STD_I64LE, row_chunk);
    const bool sets = layout.labeled && layout.multi_label;
    if (layout.labeled && !sets)
      m.labels = create_extendible(f, "labels", H5T_STD_I32LE, row_chunk);
    if (sets) {
      m.set_ids = create_extendible(f, "label_set_ids", H5T_STD_I32LE, row_chunk);
      m.set_offsets = create_extendible(f, "label_set_offsets", H5T_STD_I64LE, row_chunk);
    }
    m.rows = create_extendible(f, "source_rows", H5T_STD_I64LE, row_chunk);
    int64_t zero = 0;
    append_to(m.offsets.get(), H5T_NATIVE_INT64, 0, &zero, 1);
    if (sets) append_to(m.set_offsets.get(), H5T_NATIVE_INT64, 0, &zero, 1);
  } catch (const std::runtime_error& e) {
    m.file.close();
    std::remove(m.tmp.c_str());
    m.fail(e.what());
  }
}

CorpusWriter::~CorpusWriter() {
  if (!impl_ || impl_->committed) return;
  std::lock_guard<std::mutex> lock(h5::mutex());
  auto& m = *impl_;
  m.ids.close();
  m.types.close();
  m.offsets.close();
  m.labels.close();
  m.set_ids.close();
  m.set_offsets.close();
  m.rows.close();
  m.file.close();
  h5::last_error();  // drop whatever closing a half-written file reported
  std::remove(m.tmp.c_str());
}

void CorpusWriter::append(const std::vector<Example>& examples) {
  auto& m = *impl_;
  m.b_ids.clear();
  m.b_types.clear();
  m.b_offsets.clear();
  m.b_labels.clear();
  m.b_rows.clear();
  m.b_set_ids.clear();
  m.b_set_offsets.clear();
  const bool sets = m.layout.labeled && m.layout.multi_label;
  int64_t end = m.tokens, set_end = m.set_size;
  for (const auto& e : examples) {
    m.b_ids.insert(m.b_ids.end(), e.input_ids.begin(), e.input_ids.end());
    if (m.layout.pairs) {
      if (e.token_type_ids.size() != e.input_ids.size()) {
        throw std::logic_error("CorpusWriter: token_type_ids and input_ids differ in length");
      }
      m.b_types.insert(m.b_types.end(), e.token_type_ids.begin(), e.token_type_ids.end());
    }
    end += static_cast<int64_t>(e.input_ids.size());
    m.b_offsets.push_back(end);
    m.b_labels.push_back(e.label);
    m.b_rows.push_back(e.source_row);
    if (sets) {
      m.b_set_ids.insert(m.b_set_ids.end(), e.label_set.begin(), e.label_set.end());
      set_end += static_cast<int64_t>(e.label_set.size());
      m.b_set_offsets.push_back(set_end);
    }
  }
  std::lock_guard<std::mutex> lock(h5::mutex());
  try {
    hsize_t n = static_cast<hsize_t>(m.n), t = static_cast<hsize_t>(m.tokens);
    append_to(m.ids.get(), H5T_NATIVE_INT32, t, m.b_ids.data(), m.b_ids.size());
    if (m.layout.pairs) {
      append_to(m.types.get(), H5T_NATIVE_INT8, t, m.b_types.data(), m.b_types.size());
    }
    append_to(m.offsets.get(), H5T_NATIVE_INT64, n + 1, m.b_offsets.data(), m.b_offsets.size());
    if (m.layout.labeled && !sets) {
      append_to(m.labels.get(), H5T_NATIVE_INT32, n, m.b_labels.data(), m.b_labels.size());
    }
    if (sets) {
      append_to(m.set_ids.get(), H5T_NATIVE_INT32, static_cast<hsize_t>(m.set_size),
                m.b_set_ids.data(), m.b_set_ids.size());
      append_to(m.set_offsets.get(), H5T_NATIVE_INT64, n + 1, m.b_set_offsets.data(),
                m.b_set_offsets.size());
    }
    append_to(m.rows.get(), H5T_NATIVE_INT64, n, m.b_rows.data(), m.b_rows.size());
  } catch (const std::runtime_error& e) {
    m.fail(e.what());
  }
  m.n += static_cast<int64_t>(examples.size());
  m.tokens = end;
  m.set_size = set_end;
}

void CorpusWriter::commit(const CorpusInfo& info, const std::vector<std::string>& label_names,
                          const std::vector<int32_t>* label_remap) {
  auto& m = *impl_;
  std::lock_guard<std::mutex> lock(h5::mutex());
  try {
    hid_t f = m.file.get();
    const bool sets = m.layout.labeled && m.layout.multi_label;
    if (sets && label_remap && m.set_size > 0) {
      // Remapped ids, each example's set sorted again: 12 bytes per label of the corpus, once.
      std::vector<int32_t> ids(static_cast<size_t>(m.set_size));
      std::vector<int64_t> offs(static_cast<size_t>(m.n + 1));
      h5::read_range(m.set_ids.get(), H5T_NATIVE_INT32, 0, m.set_size, ids.data());
      h5::read_range(m.set_offsets.get(), H5T_NATIVE_INT64, 0, m.n + 1, offs.data());
      for (auto& l : ids) l = (*label_remap)[static_cast<size_t>(l)];
      for (int64_t i = 0; i < m.n; ++i) std::sort(ids.begin() + offs[i], ids.begin() + offs[i + 1]);
      if (H5Dwrite(m.set_ids.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids.data()) <
          0) {
        throw std::runtime_error("cannot rewrite the label sets");
      }
    }
    if (m.layout.labeled) {
      if (!sets && label_remap && m.n > 0) {
        // 4 bytes per example, once, at the end: the price of not knowing the label set earlier.
        std::vector<int32_t> labels(static_cast<size_t>(m.n));
        h5::read_range(m.labels.get(), H5T_NATIVE_INT32, 0, m.n, labels.data());
        for (auto& l : labels) {
          if (l >= 0) l = (*label_remap)[static_cast<size_t>(l)];
        }
        if (H5Dwrite(m.labels.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     labels.data()) < 0) {
          throw std::runtime_error("cannot rewrite the labels");
        }
      }
      hsize_t k = label_names.size();
      h5::Handle type = h5::utf8_string_type();
      h5::Handle space(H5Screate_simple(1, &k, nullptr), H5Sclose);
      h5::Handle d(H5Dcreate2(f, "label_names", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT),
                   H5Dclose);
      std::vector<const char*> ptrs;
      for (const auto& s : label_names) ptrs.push_back(s.c_str());
      if (!d.valid() || (k > 0 && H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                           ptrs.data()) < 0)) {
        throw std::runtime_error("cannot write label_names");
      }
    }
    h5::write_string_attr(f, "format", kCorpusFormatName);
    h5::write_int_attr(f, "format_version",
                       sets ? kCorpusFormatVersionMultiLabel : kCorpusFormatVersion);
    if (sets) h5::write_string_attr(f, "problem_type", kMultiLabelProblem);
    h5::write_string_attr(f, "tokenizer_fingerprint", info.tokenizer_fingerprint);
    h5::write_int_attr(f, "lowercase", info.lowercase ? 1 : 0);
    h5::write_int_attr(f, "strip_accents", info.strip_accents ? 1 : 0);
    h5::write_int_attr(f, "max_length", info.max_length);
    h5::write_string_attr(f, "truncation", to_string(info.truncation));
    h5::write_int_attr(f, "head_tokens", info.head_tokens);
    h5::write_string_attr(f, "source_file", info.source_file);
    h5::write_int_attr(f, "source_size", info.source_size);
    h5::write_string_attr(f, "source_sha256", info.source_sha256);
    h5::write_string_attr(f, "source_format", info.source_format);
    h5::write_string_attr(f, "text_column", info.text_column);
    h5::write_string_attr(f, "label_column", m.layout.labeled ? info.label_column : "");
    h5::write_string_attr(f, "text_pair_column", m.layout.pairs ? info.text_pair_column : "");
    h5::write_int_attr(f, "rows_read", info.rows_read);
    h5::write_int_attr(f, "rows_written", m.n);
    h5::write_int_attr(f, "rows_skipped", info.rows_skipped);
    h5::write_string_attr(f, "created_by", info.created_by);
    m.ids.close();
    m.types.close();
    m.offsets.close();
    m.labels.close();
    m.set_ids.close();
    m.set_offsets.close();
    m.rows.close();
    if (!m.file.close()) throw std::runtime_error("cannot close (flush) the file");
    sign_corpus(m.tmp);
  } catch (const std::runtime_error& e) {
    m.fail(e.what());
  }
  // HDF5 wrote and closed the file; common's durable writer fsyncs it, renames it into place
  // and fsyncs the directory (a corpus that vanishes after a crash would be found missing only
  // when training starts).
  durable::commit_file(m.tmp, m.path, {"data", ExitCode::kData});
  m.committed = true;
}

int64_t CorpusWriter::size() const {
  return impl_->n;
}
const std::string& CorpusWriter::temp_path() const {
  return impl_->tmp;
}

}  // namespace berth::data
