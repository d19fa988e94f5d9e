#include "data/prep.h"

#include <utf8proc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "common/progress_meter.h"
#include "common/sha256.h"
#include "common/short_list.h"
#include "common/version.h"
#include "data/corpus.h"
#include "data/corpus_writer.h"
#include "data/label_list.h"
#include "data/prep_labels.h"
#include "data/tokenizer.h"

namespace berth::data {

namespace fs = std::filesystem;

namespace {
constexpr int kReportSkipped = 5;  // skipped rows logged one by one; the rest only counted

// True when `s` has no character that could carry a token: only Unicode white space.
bool blank_text(const std::string& s) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t n = static_cast<utf8proc_ssize_t>(s.size());
  while (n > 0) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t len = utf8proc_iterate(p, n, &c);
    if (len <= 0) return false;  // invalid UTF-8: not blank; the tokenizer decides
    bool space = c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85 ||
                 utf8proc_category(c) == UTF8PROC_CATEGORY_ZS ||
                 utf8proc_category(c) == UTF8PROC_CATEGORY_ZL ||
                 utf8proc_category(c) == UTF8PROC_CATEGORY_ZP;
    if (!space) return false;
    p += len;
    n -= len;
  }
  return true;
}

std::string trim_ascii(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return {};
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

// A batch of kept rows waiting to be tokenized.
struct Pending {
  std::vector<TableRow> rows;
  std::vector<int32_t> labels;
  std::vector<std::vector<int32_t>> label_sets;  // multi-label: one per kept row
  size_t size = 0;                               // rows in use (rows is reused and may be longer)
};

void validate(const PrepOptions& o) {
  if (o.input.empty()) throw usage_error("prep", "no input file", "pass --input FILE");
  if (o.output.empty()) throw usage_error("prep", "no output file", "pass --out FILE.h5");
  if (o.model_dir.empty() && !o.tokenizer) {
    throw usage_error("prep", "no model directory", "pass --model DIR (a Hugging Face BERT dir)");
  }
  int min_len = o.text_pair_column.empty() ? 2 : 3;
  if (o.max_length < min_len) {
    throw usage_error("prep", "--max-length " + std::to_string(o.max_length) + " is too small",
                      "it counts [CLS] and [SEP]; use at least " + std::to_string(min_len) +
                          " (128 or 256 are usual)");
  }
  if (std::string p = truncation_problem(o.truncation, o.max_length, !o.text_pair_column.empty());
      !p.empty())
    throw usage_error("prep", "--truncation/--head-tokens: " + p,
                      "see docs/configuration.md, data.truncation");
  if (o.threads < 0) throw usage_error("prep", "--threads must be 0 (all cores) or more");
  if (o.batch_rows < 1) throw usage_error("prep", "batch_rows must be at least 1");
  if (o.text_column.empty()) throw usage_error("prep", "--text-column is empty");
  if (o.label_separator.empty())
    throw usage_error("prep", "--label-separator is empty", "the default is '|'");
  std::error_code ec;
  if (fs::exists(o.output, ec) && fs::equivalent(o.input, o.output, ec)) {
    throw usage_error("prep", "--out " + o.output + " is the input file",
                      "write the corpus to a new .h5 file");
  }
  fs::path dir = fs::path(o.output).parent_path();
  if (!dir.empty() && !fs::is_directory(dir, ec)) {
    throw usage_error("prep", "the output directory " + dir.string() + " does not exist",
                      "create it first (mkdir -p " + dir.string() + ")");
  }
}

// Tokenizes rows [0, p.size) of `p` into `out` on `threads` threads, in order.
void tokenize(const Tokenizer& tok, const Pending& p, bool pairs, bool labeled, int max_length,
              const TruncationRule& rule, int threads, std::vector<Example>& out) {
  out.resize(p.size);
  std::atomic<size_t> next{0};
  constexpr size_t kGrain = 64;  // rows per grab: small enough to balance, large enough to be cheap
  auto work = [&] {
    for (;;) {
      size_t a = next.fetch_add(kGrain);
      if (a >= p.size) return;
      size_t b = std::min(p.size, a + kGrain);
      for (size_t i = a; i < b; ++i) {
        const TableRow& r = p.rows[i];
        Encoding enc = pairs ? tok.encode_pair(r.values[0], r.values[1], max_length)
                             : encode_truncated(tok, r.values[0], max_length, rule);
        Example& e = out[i];
        e.input_ids = std::move(enc.ids);
        if (pairs) {
          e.token_type_ids = std::move(enc.token_type_ids);
        } else {
          e.token_type_ids.clear();
        }
        e.label = labeled && p.label_sets.empty() ? p.labels[i] : -1;
        if (labeled && !p.label_sets.empty())
          e.label_set = p.label_sets[i];
        else
          e.label_set.clear();
        e.source_row = r.record;
      }
    }
  };
  int n = std::max(1, std::min<int>(threads, static_cast<int>((p.size + kGrain - 1) / kGrain)));
  std::vector<std::thread> pool;
  std::exception_ptr error;
  std::mutex error_mu;
  for (int t = 0; t < n; ++t) {
    pool.emplace_back([&] {
      try {
        work();
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!error) error = std::current_exception();
        next = p.size;  // stop the others early
      }
    });
  }
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

// The label set of --labels-from (a corpus made with the same tokenizer), so that a dev or test
// corpus numbers its labels as the training corpus does; open (grown from the rows) without it.
PrepLabels labels_from_corpus(const PrepOptions& o, const Tokenizer& tok) {
  if (o.labels_from.empty()) return PrepLabels();
  Corpus from = Corpus::open(o.labels_from);
  if (from.fingerprint() != tok.fingerprint()) {
    throw data_error("prep",
                     "--labels-from " + o.labels_from +
                         " was made with another tokenizer "
                         "(fingerprint " +
                         from.fingerprint() + ", this model's is " + tok.fingerprint() + ")",
                     "prep both files with the same --model directory");
  }
  if (from.label_names().empty()) {
    throw data_error("prep", "--labels-from " + o.labels_from + " has no labels (unlabeled corpus)",
                     "name the training corpus, which has labels");
  }
  if (o.multi_label && !from.multi_label()) {
    throw data_error("prep", "--labels-from " + o.labels_from + " is a single-label corpus",
                     "drop --multi-label, or name a multi-label training corpus");
  }
  return PrepLabels(from.label_names(), o.labels_from, from.multi_label());
}

// The input table's kept rows, in batches: rows with an empty text, or without a label in a
// labelled corpus, are skipped (or fail with --strict) and counted.
class RowSource {
 public:
  RowSource(const PrepOptions& o, PrepLabels& labels, PrepStats& stats)
      : o_(o), labels_(labels), stats_(stats), log_(log::get("prep")) {
    TableReadOptions ropt;
    ropt.format = o.format;
    ropt.on_bytes = [this](std::string_view b) { sha_.update(b.data(), b.size()); };
    reader_ = open_table(o.input, ropt);
    pairs_ = !o.text_pair_column.empty();
    labeled_ = !o.label_column.empty() &&
               (o.label_column_required || labels.fixed() || reader_->has_column(o.label_column));
    std::vector<std::string> cols{o.text_column};
    if (pairs_) cols.push_back(o.text_pair_column);
    if (labeled_) cols.push_back(o.label_column);
    // A missing column is named with the setting that names it (the reader's own error lists
    // every option of every command).
    const std::vector<std::pair<std::string, std::string>> wanted = {
        {o.text_column, o.names.text_column},
        {pairs_ ? o.text_pair_column : "", o.names.text_pair_column},
        {labeled_ ? o.label_column : "", o.names.label_column}};
    for (const auto& [column, setting] : wanted) {
      if (column.empty() || reader_->has_column(column)) continue;
      std::string have;
      for (const auto& c : reader_->columns()) have += (have.empty() ? "'" : ", '") + c + "'";
      throw data_error("prep", o.input + ": no column '" + column + "'; the columns are " + have,
                       o.names.pick_one(setting) + ", or fix the header row");
    }
    reader_->select(cols);
    if (!labeled_) {
      log_->info("{} has no column '{}': writing an unlabeled corpus", o.input, o.label_column);
    }
    label_col_ = cols.size() - 1;
    multi_label_ = labeled_ && (o.multi_label || labels.multi_label());
    TableFormat format = o.format ? *o.format : table_format_for_path(o.input);
    list_format_ = LabelListFormat{o.label_separator, format == TableFormat::kJsonl};
  }

  bool pairs() const { return pairs_; }
  bool labeled() const { return labeled_; }
  bool multi_label() const { return multi_label_; }
  int64_t skipped_text() const { return skipped_text_; }
  int64_t skipped_label() const { return skipped_label_; }
  int64_t bytes_read() const { return reader_->bytes_read(); }
  std::string sha256() { return sha_.finish_hex(); }

  // Reads up to batch_rows kept rows into `p`; false when the input is exhausted and p is empty.
  bool fill(Pending& p) {
    p.size = 0;
    p.labels.clear();
    p.label_sets.clear();
    while (p.size < static_cast<size_t>(o_.batch_rows)) {
      if (p.rows.size() <= p.size) p.rows.emplace_back();
      TableRow& r = p.rows[p.size];
      if (!reader_->next(r)) break;
      ++stats_.rows_read;
      if (blank_text(r.values[0]) || (pairs_ && blank_text(r.values[1]))) {
        ++skipped_text_;
        skip(r, pairs_ ? "an empty text or text pair" : "an empty text");
        continue;
      }
      if (labeled_) {
        std::string label = trim_ascii(r.values[label_col_]);
        if (label.empty()) {
          ++skipped_label_;
          skip(r, "no label");
          continue;
        }
        const std::string where = o_.input + ":" + std::to_string(r.line);
        if (multi_label_) {
          std::vector<int32_t> set;
          for (const auto& name : split_label_list(label, list_format_, where))
            set.push_back(labels_.id(name, where, r.record));
          std::sort(set.begin(), set.end());  // provisional ids are sorted again after the remap
          p.label_sets.push_back(std::move(set));
        } else {
          if (label.front() == '[' && list_format_.json_arrays)
            throw data_error("prep",
                             where + ": the label of record " + std::to_string(r.record) +
                                 " is a list (" + label + ")",
                             o_.names.turn_on(o_.names.multi_label) + " for a multi-label corpus");
          p.labels.push_back(labels_.id(label, where, r.record));
        }
      }
      ++p.size;
    }
    return p.size > 0;
  }

 private:
  void skip(const TableRow& r, const char* why) {
    std::string where = o_.input + ":" + std::to_string(r.line);
    if (o_.strict) {
      throw data_error("prep", where + ": record " + std::to_string(r.record) + " has " + why,
                       "fix or remove the row, or drop --strict to skip such rows");
    }
    if (stats_.rows_skipped < kReportSkipped) {
      log_->warn("skipping record {} ({}): {}", r.record, where, why);
    }
    ++stats_.rows_skipped;
  }

  const PrepOptions& o_;
  PrepLabels& labels_;
  PrepStats& stats_;
  std::shared_ptr<spdlog::logger> log_;
  Sha256 sha_;
  std::unique_ptr<TableReader> reader_;
  bool pairs_ = false, labeled_ = false, multi_label_ = false;
  LabelListFormat list_format_;
  size_t label_col_ = 0;
  int64_t skipped_text_ = 0, skipped_label_ = 0;
};

// Tokenizes the kept rows and appends them to `writer`. Double buffering: one batch is tokenized
// on the pool while this thread reads the next.
void tokenize_into(RowSource& rows, const Tokenizer& tok, int max_length,
                   const TruncationRule& rule, int threads, CorpusWriter& writer, PrepStats& stats,
                   const std::string& input) {
  // Progress by bytes read, for inputs that take more than a few seconds.
  std::error_code size_ec;
  const auto input_size = std::filesystem::file_size(input, size_ec);
  log::ProgressMeter meter(log::get("prep"), "prep", "rows");
  Pending bufs[2];
  std::vector<Example> examples;
  int cur = 0;
  bool more = rows.fill(bufs[cur]);
  while (more) {
    auto job = std::async(std::launch::async, [&, cur] {
      tokenize(tok, bufs[cur], rows.pairs(), rows.labeled(), max_length, rule, threads, examples);
    });
    bool next_more;
    try {
      next_more = rows.fill(bufs[1 - cur]);
    } catch (...) {
      job.wait();
      throw;
    }
    job.get();
    writer.append(examples);
    stats.rows_written += static_cast<int64_t>(examples.size());
    meter.update(stats.rows_read,
                 size_ec || input_size == 0 ? NAN : double(rows.bytes_read()) / double(input_size));
    cur = 1 - cur;
    more = next_more;
  }
}

// What the corpus file records about how it was made (corpus_info.h).
CorpusInfo describe(const PrepOptions& o, const Tokenizer& tok, RowSource& rows,
                    const PrepStats& stats) {
  CorpusInfo info;
  info.tokenizer_fingerprint = tok.fingerprint();
  info.lowercase = tok.settings().lowercase;
  info.strip_accents = tok.settings().strip_accents;
  info.max_length = o.max_length;
  info.truncation = o.truncation.side;
  info.head_tokens =
      o.truncation.side == Truncation::kHeadTail ? o.truncation.head_pieces(o.max_length) : 0;
  info.source_file = o.input;
  info.source_size = rows.bytes_read();
  info.source_sha256 = rows.sha256();
  TableFormat format = o.format ? *o.format : table_format_for_path(o.input);
  info.source_format = table_format_name(format);
  info.text_column = o.text_column;
  info.label_column = rows.labeled() ? o.label_column : "";
  info.text_pair_column = o.text_pair_column;
  info.rows_read = stats.rows_read;
  info.rows_written = stats.rows_written;
  info.rows_skipped = stats.rows_skipped;
  info.created_by = "berth " + version();
  return info;
}

void log_summary(const PrepOptions& o, const RowSource& rows, const PrepStats& stats, int threads) {
  auto log = log::get("prep");
  if (stats.rows_skipped > 0) {
    log->warn("skipped {} of {} rows ({} with empty text, {} without a label)", stats.rows_skipped,
              stats.rows_read, rows.skipped_text(), rows.skipped_label());
  }
  std::vector<std::string> label_counts;
  for (const auto& [name, count] : stats.label_counts)
    label_counts.push_back(name + "=" + std::to_string(count));
  const std::string label_text = short_list(label_counts);
  log->info(
      "prep {} -> {}: {} rows read, {} written, {} skipped; labels: {}; {:.2f} s, {:.0f} rows/s, "
      "{:.1f} MB/s ({} threads)",
      o.input, o.output, stats.rows_read, stats.rows_written, stats.rows_skipped,
      rows.labeled() ? label_text : std::string("none (unlabeled)"), stats.seconds,
      stats.rows_per_second(), stats.mb_per_second(), threads);
}
}  // namespace

PrepStats prep_corpus(const PrepOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  validate(o);
  std::unique_ptr<Tokenizer> owned;
  const Tokenizer* tok = o.tokenizer;
  if (!tok) {
    owned = std::make_unique<Tokenizer>(Tokenizer::from_directory(o.model_dir));
    tok = owned.get();
  }
  PrepLabels labels = labels_from_corpus(o, *tok);
  PrepStats stats;
  RowSource rows(o, labels, stats);
  CorpusWriter writer(o.output, CorpusLayout{rows.labeled(), rows.pairs(), rows.multi_label()});
  int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());

  tokenize_into(rows, *tok, o.max_length, o.truncation, threads, writer, stats, o.input);

  std::vector<std::string> names;
  std::vector<int32_t> remap;
  if (rows.labeled()) {
    names = labels.names();
    remap = labels.remap();
    stats.label_counts = labels.counts();
    stats.multi_label = rows.multi_label();
  }
  writer.commit(describe(o, *tok, rows, stats), names, labels.fixed() ? nullptr : &remap);
  stats.input_bytes = rows.bytes_read();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_summary(o, rows, stats, threads);
  return stats;
}

}  // namespace berth::data
