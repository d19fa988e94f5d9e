#include "data/corpus.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "common/error.h"
#include "data/corpus_checksum.h"
#include "data/corpus_hdf5.h"

namespace berth::data {

bool is_corpus(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".h5" || ext == ".hdf5";
}

namespace {
constexpr const char* kRemakeHint =
    "re-create the corpus with `berth prep` (the file may be truncated, from another tool, or "
    "written by a different berth version)";

struct Invalid : std::runtime_error {
  using std::runtime_error::runtime_error;
};

h5::Handle open_dataset(hid_t file, const char* name, bool required) {
  if (!h5::has_dataset(file, name)) {
    if (required) throw Invalid(std::string("dataset '") + name + "' is missing");
    return {};
  }
  h5::Handle d(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!d.valid()) throw std::runtime_error(std::string("cannot open dataset '") + name + "'");
  return d;
}

void expect_integers(hid_t dset, const char* name) {
  h5::Handle type(H5Dget_type(dset), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER) {
    throw Invalid(std::string("dataset '") + name + "' does not hold integers");
  }
}

template <typename T>
std::vector<T> read_all(hid_t dset, hid_t mem_type, int64_t n) {
  std::vector<T> v(static_cast<size_t>(n));
  h5::read_range(dset, mem_type, 0, n, v.data());
  return v;
}
}  // namespace

struct Corpus::Impl {
  std::string path;
  CorpusInfo info;
  std::vector<std::string> label_names;
  std::vector<int64_t> offsets;  // n + 1
  std::vector<int32_t> labels;   // n, or empty when unlabeled or multi-label
  std::vector<int64_t> rows;     // n
  bool multi_label = false;
  std::vector<int64_t> set_offsets;  // n + 1 when multi_label
  std::vector<int32_t> set_ids;      // label set entries when multi_label
  bool pairs = false;
  bool preloaded = false;
  std::vector<int32_t> ids;   // all ids when preloaded
  std::vector<int8_t> types;  // all token types when preloaded and pairs
  h5::Handle file, ids_dset, types_dset;

  ~Impl() {
    std::lock_guard<std::mutex> lock(h5::mutex());
    types_dset.close();
    ids_dset.close();
    file.close();
  }

  int64_t size() const { return static_cast<int64_t>(rows.size()); }

  // Reads ids (and types) of examples [a, b] from the file: one hyperslab per run.
  void read_run(int64_t a, int64_t b, std::vector<int32_t>& out_ids,
                std::vector<int8_t>& out_types) const {
    int64_t start = offsets[a], count = offsets[b + 1] - start;
    out_ids.resize(static_cast<size_t>(count));
    try {
      h5::read_range(ids_dset.get(), H5T_NATIVE_INT32, start, count, out_ids.data());
      if (pairs) {
        out_types.resize(static_cast<size_t>(count));
        h5::read_range(types_dset.get(), H5T_NATIVE_INT8, start, count, out_types.data());
      }
    } catch (const std::runtime_error& e) {
      throw data_error("data", "cannot read corpus " + path + ": " + e.what(), kRemakeHint);
    }
  }
};

Corpus Corpus::open(const std::string& path, const CorpusOpenOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw data_error("data", "corpus " + path + " does not exist or is not a file",
                     "create it with `berth prep --model DIR --input FILE --out " + path + "`");
  }
  // Verified before HDF5 parses anything: the library is not safe on damaged files.
  if (std::string problem = corpus_checksum_problem(path); !problem.empty())
    throw data_error("data", "corpus " + path + " " + problem, kRemakeHint);
  auto impl = std::make_shared<Impl>();
  Impl& m = *impl;
  m.path = path;
  std::lock_guard<std::mutex> lock(h5::mutex());
  h5::silence_errors();
  m.file = h5::Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!m.file.valid()) {
    std::string detail = h5::last_error();
    throw data_error(
        "data",
        path + " is not a readable HDF5 file" + (detail.empty() ? "" : " (HDF5: " + detail + ")"),
        kRemakeHint);
  }
  try {
    hid_t f = m.file.get();
    if (!h5::has_attr(f, "format") || h5::read_string_attr(f, "format") != kCorpusFormatName) {
      throw Invalid("not a Berth corpus (no attribute format = \"" +
                    std::string(kCorpusFormatName) + "\")");
    }
    int64_t version = h5::read_int_attr(f, "format_version");
    if (version != kCorpusFormatVersion && version != kCorpusFormatVersionMultiLabel) {
      throw Invalid("format version " + std::to_string(version) +
                    ", but this berth reads versions " + std::to_string(kCorpusFormatVersion) +
                    " and " + std::to_string(kCorpusFormatVersionMultiLabel));
    }
    CorpusInfo& in = m.info;
    in.format_version = static_cast<int>(version);
    in.tokenizer_fingerprint = h5::read_string_attr(f, "tokenizer_fingerprint");
    in.lowercase = h5::read_int_attr(f, "lowercase") != 0;
    in.strip_accents = h5::read_int_attr(f, "strip_accents") != 0;
    in.max_length = static_cast<int>(h5::read_int_attr(f, "max_length"));
    if (h5::has_attr(f, "truncation")) {
      const std::string side = h5::read_string_attr(f, "truncation");
      auto parsed = parse_choice<Truncation>(side);
      if (!parsed)
        throw Invalid("attribute truncation is '" + side + "', not " +
                      allowed_choices<Truncation>());
      in.truncation = *parsed;
    }
    if (h5::has_attr(f, "head_tokens"))
      in.head_tokens = static_cast<int>(h5::read_int_attr(f, "head_tokens"));
    in.source_file = h5::read_string_attr(f, "source_file");
    in.source_size = h5::read_int_attr(f, "source_size");
    in.source_sha256 = h5::read_string_attr(f, "source_sha256");
    in.source_format = h5::read_string_attr(f, "source_format");
    in.text_column = h5::read_string_attr(f, "text_column");
    in.label_column = h5::read_string_attr(f, "label_column");
    in.text_pair_column = h5::read_string_attr(f, "text_pair_column");
    in.rows_read = h5::read_int_attr(f, "rows_read");
    in.rows_written = h5::read_int_attr(f, "rows_written");
    in.rows_skipped = h5::read_int_attr(f, "rows_skipped");
    in.created_by = h5::read_string_attr(f, "created_by");

    m.ids_dset = open_dataset(f, "input_ids", true);
    expect_integers(m.ids_dset.get(), "input_ids");
    int64_t num_ids = h5::dataset_length(m.ids_dset.get(), "input_ids");
    h5::Handle offsets = open_dataset(f, "offsets", true);
    expect_integers(offsets.get(), "offsets");
    int64_t num_offsets = h5::dataset_length(offsets.get(), "offsets");
    if (num_offsets < 1) throw Invalid("dataset 'offsets' is empty (it needs n + 1 entries)");
    int64_t n = num_offsets - 1;
    if (n != in.rows_written) {
      throw Invalid("'offsets' describes " + std::to_string(n) +
                    " examples but attribute rows_written says " + std::to_string(in.rows_written));
    }
    m.offsets = read_all<int64_t>(offsets.get(), H5T_NATIVE_INT64, num_offsets);
    if (m.offsets[0] != 0)
      throw Invalid("offsets[0] is " + std::to_string(m.offsets[0]) + ", not 0");
    for (int64_t i = 0; i < n; ++i) {
      int64_t len = m.offsets[i + 1] - m.offsets[i];
      if (len < 0 || len > std::numeric_limits<int32_t>::max()) {
        throw Invalid("offsets are not monotone at example " + std::to_string(i) + " (" +
                      std::to_string(m.offsets[i]) + " then " + std::to_string(m.offsets[i + 1]) +
                      ")");
      }
    }
    if (m.offsets.back() != num_ids) {
      throw Invalid("the last offset is " + std::to_string(m.offsets.back()) +
                    " but 'input_ids' holds " + std::to_string(num_ids) + " ids");
    }

    h5::Handle rows = open_dataset(f, "source_rows", true);
    expect_integers(rows.get(), "source_rows");
    if (h5::dataset_length(rows.get(), "source_rows") != n) {
      throw Invalid("'source_rows' does not have one entry per example (" + std::to_string(n) +
                    ")");
    }
    m.rows = read_all<int64_t>(rows.get(), H5T_NATIVE_INT64, n);

    m.types_dset = open_dataset(f, "token_type_ids", false);
    m.pairs = m.types_dset.valid();
    if (m.pairs) {
      expect_integers(m.types_dset.get(), "token_type_ids");
      if (h5::dataset_length(m.types_dset.get(), "token_type_ids") != num_ids) {
        throw Invalid("'token_type_ids' and 'input_ids' differ in length");
      }
    }

    h5::Handle labels = open_dataset(f, "labels", false);
    h5::Handle set_ids = open_dataset(f, "label_set_ids", false);
    if (set_ids.valid()) {
      if (version < kCorpusFormatVersionMultiLabel)
        throw Invalid("'label_set_ids' (multi-label) in a format version " +
                      std::to_string(version) + " corpus");
      if (labels.valid()) throw Invalid("both 'labels' and 'label_set_ids' are present");
      expect_integers(set_ids.get(), "label_set_ids");
      h5::Handle set_offsets = open_dataset(f, "label_set_offsets", true);
      expect_integers(set_offsets.get(), "label_set_offsets");
      if (h5::dataset_length(set_offsets.get(), "label_set_offsets") != n + 1)
        throw Invalid("'label_set_offsets' does not have n + 1 entries (" + std::to_string(n + 1) +
                      ")");
      h5::Handle names = open_dataset(f, "label_names", false);
      if (!names.valid()) throw Invalid("'label_set_ids' is present but 'label_names' is missing");
      m.label_names = h5::read_strings(names.get(), h5::dataset_length(names.get(), "label_names"));
      const int64_t entries = h5::dataset_length(set_ids.get(), "label_set_ids");
      m.set_offsets = read_all<int64_t>(set_offsets.get(), H5T_NATIVE_INT64, n + 1);
      m.set_ids = read_all<int32_t>(set_ids.get(), H5T_NATIVE_INT32, entries);
      if (m.set_offsets[0] != 0 || m.set_offsets.back() != entries)
        throw Invalid(
            "'label_set_offsets' must start at 0 and end at the length of "
            "'label_set_ids' (" +
            std::to_string(entries) + ")");
      const int32_t k = static_cast<int32_t>(m.label_names.size());
      for (int64_t i = 0; i < n; ++i) {
        if (m.set_offsets[i + 1] < m.set_offsets[i])
          throw Invalid("'label_set_offsets' are not monotone at example " + std::to_string(i));
        for (int64_t e = m.set_offsets[i]; e < m.set_offsets[i + 1]; ++e) {
          const int32_t id = m.set_ids[e];
          if (id < 0 || id >= k || (e > m.set_offsets[i] && id <= m.set_ids[e - 1]))
            throw Invalid("the label set of example " + std::to_string(i) + " (source row " +
                          std::to_string(m.rows[i]) + ") is not ascending ids below " +
                          std::to_string(k) + " (the number of label names)");
        }
      }
      m.multi_label = true;
      in.multi_label = true;
    } else if (labels.valid()) {
      expect_integers(labels.get(), "labels");
      if (h5::dataset_length(labels.get(), "labels") != n) {
        throw Invalid("'labels' does not have one entry per example (" + std::to_string(n) + ")");
      }
      h5::Handle names = open_dataset(f, "label_names", false);
      if (!names.valid()) throw Invalid("'labels' is present but 'label_names' is missing");
      m.label_names = h5::read_strings(names.get(), h5::dataset_length(names.get(), "label_names"));
      m.labels = read_all<int32_t>(labels.get(), H5T_NATIVE_INT32, n);
      int32_t k = static_cast<int32_t>(m.label_names.size());
      for (int64_t i = 0; i < n; ++i) {
        if (m.labels[i] < -1 || m.labels[i] >= k) {
          throw Invalid("label " + std::to_string(m.labels[i]) + " of example " +
                        std::to_string(i) + " (source row " + std::to_string(m.rows[i]) +
                        ") is out of range: there are " + std::to_string(k) + " label names");
        }
      }
    }

    int64_t bytes = num_ids * (m.pairs ? 5 : 4);
    if (bytes < options.preload_bytes) {
      m.ids = read_all<int32_t>(m.ids_dset.get(), H5T_NATIVE_INT32, num_ids);
      if (m.pairs) m.types = read_all<int8_t>(m.types_dset.get(), H5T_NATIVE_INT8, num_ids);
      m.preloaded = true;
      m.types_dset.close();
      m.ids_dset.close();
      m.file.close();
    }
  } catch (const Invalid& e) {
    throw data_error("data", "corpus " + path + " is invalid: " + e.what(), kRemakeHint);
  } catch (const std::runtime_error& e) {
    throw data_error("data", "cannot read corpus " + path + ": " + e.what(), kRemakeHint);
  }
  return Corpus(std::move(impl));
}

int64_t Corpus::size() const {
  return impl_->size();
}
int32_t Corpus::length(int64_t i) const {
  return static_cast<int32_t>(impl_->offsets.at(i + 1) - impl_->offsets[i]);
}
std::vector<int32_t> Corpus::label_set(int64_t i) const {
  const Impl& m = *impl_;
  (void)m.rows.at(i);
  if (!m.multi_label) return {};
  return {m.set_ids.begin() + m.set_offsets[i], m.set_ids.begin() + m.set_offsets[i + 1]};
}
bool Corpus::multi_label() const {
  return impl_->multi_label;
}
int32_t Corpus::label(int64_t i) const {
  if (impl_->labels.empty()) {
    (void)impl_->rows.at(i);  // same bounds check as a labeled corpus
    return -1;
  }
  return impl_->labels.at(i);
}
int64_t Corpus::source_row(int64_t i) const {
  return impl_->rows.at(i);
}
bool Corpus::labeled() const {
  return !impl_->info.label_column.empty();
}
bool Corpus::has_pairs() const {
  return impl_->pairs;
}
bool Corpus::preloaded() const {
  return impl_->preloaded;
}
int64_t Corpus::num_tokens() const {
  return impl_->offsets.back();
}
const std::vector<std::string>& Corpus::label_names() const {
  return impl_->label_names;
}
const CorpusInfo& Corpus::info() const {
  return impl_->info;
}
const std::string& Corpus::path() const {
  return impl_->path;
}

Example Corpus::read(int64_t i) const {
  return std::move(read(std::vector<int64_t>{i}).front());
}

std::vector<Example> Corpus::read(const std::vector<int64_t>& indices) const {
  const Impl& m = *impl_;
  for (int64_t i : indices) {
    if (i < 0 || i >= m.size()) {
      throw std::out_of_range("Corpus::read: index " + std::to_string(i) + " out of range [0, " +
                              std::to_string(m.size()) + ")");
    }
  }
  std::vector<Example> out(indices.size());
  auto fill_meta = [&](Example& e, int64_t i) {
    e.label = m.labels.empty() ? -1 : m.labels[i];
    e.source_row = m.rows[i];
    if (m.multi_label)
      e.label_set.assign(m.set_ids.begin() + m.set_offsets[i],
                         m.set_ids.begin() + m.set_offsets[i + 1]);
  };
  if (m.preloaded) {
    for (size_t k = 0; k < indices.size(); ++k) {
      int64_t i = indices[k], a = m.offsets[i], b = m.offsets[i + 1];
      out[k].input_ids.assign(m.ids.begin() + a, m.ids.begin() + b);
      if (m.pairs) out[k].token_type_ids.assign(m.types.begin() + a, m.types.begin() + b);
      fill_meta(out[k], i);
    }
    return out;
  }
  // Sort the requests so that neighbours in the file are read together.
  std::vector<size_t> order(indices.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return indices[x] < indices[y]; });
  std::vector<int32_t> run_ids;
  std::vector<int8_t> run_types;
  std::lock_guard<std::mutex> lock(h5::mutex());
  for (size_t s = 0; s < order.size();) {
    size_t e = s + 1;
    while (e < order.size() && indices[order[e]] <= indices[order[e - 1]] + 1) ++e;
    int64_t a = indices[order[s]], b = indices[order[e - 1]];
    m.read_run(a, b, run_ids, run_types);
    for (size_t k = s; k < e; ++k) {
      int64_t i = indices[order[k]];
      int64_t from = m.offsets[i] - m.offsets[a], to = m.offsets[i + 1] - m.offsets[a];
      Example& ex = out[order[k]];
      ex.input_ids.assign(run_ids.begin() + from, run_ids.begin() + to);
      if (m.pairs) ex.token_type_ids.assign(run_types.begin() + from, run_types.begin() + to);
      fill_meta(ex, i);
    }
    s = e;
  }
  return out;
}

}  // namespace berth::data
