#include "model/predictor.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <numeric>
#include <thread>

#include "common/allocator_policy.h"
#include "common/clock.h"
#include "common/cpu_features.h"
#include "common/error.h"
#include "common/log.h"
#include "data/batch.h"
#include "data/corpus.h"
#include "data/label_list.h"
#include "data/text_windows.h"
#include "data/tokenizer.h"
#include "data/truncation.h"
#include "model/attention_backend.h"
#include "model/autocast_guard.h"
#include "model/batch_tensors.h"
#include "model/bert_layers.h"
#include "model/decision_thresholds.h"
#include "model/int8_linear.h"
#include "model/multi_label_metrics.h"
#include "model/packed_gemm.h"
#include "model/pretrained.h"
#include "model/random_init.h"
#include "model/window_aggregator.h"

namespace berth::model {

namespace {

// With --windows, rows are predicted together until their texts reach this many bytes (or a
// sorting window of rows): the windows' ids of one group are held at once.
constexpr size_t kWindowedTextBytes = 4 << 20;
// Prediction batches are padded to a multiple of this on CUDA (tensor cores want multiples of 8).
constexpr int kCudaLengthMultiple = 8;

// bf16 on the CPU: the Linear weights and biases are cast once here rather than by autocast on
// every forward (a read of every fp32 weight and a write of its copy per batch, most of what a
// bf16 GEMM with AMX costs at this size). Autocast still casts the activations and keeps its
// fp32 ops (LayerNorm, softmax) in fp32; its cast of an already bf16 weight is a no-op, so the
// logits are those of plain autocast.
int cast_linears(torch::nn::Module& root, at::ScalarType dtype) {
  int cast = 0;
  for (auto& m : root.modules(/*include_self=*/false)) {
    auto* dense = dynamic_cast<Dense*>(m.get());
    if (dense == nullptr || dense->packed) continue;
    dense->weight.set_data(dense->weight.detach().to(dtype));
    dense->bias.set_data(dense->bias.detach().to(dtype));
    ++cast;
  }
  return cast;
}

// A linear map over weights held outside the module tree: q, k and v's weights concatenated.
class ConcatenatedLinear final : public PackedLinear {
 public:
  ConcatenatedLinear(at::Tensor weight, at::Tensor bias)
      : weight_(std::move(weight)), bias_(std::move(bias)) {}
  at::Tensor forward(const at::Tensor& x) const override { return at::linear(x, weight_, bias_); }

 private:
  at::Tensor weight_, bias_;
};

// The fused_qkv path concatenates q, k and v's weights on every forward (training needs the
// three parameters); at batch 1 that copy costs about a tenth of the forward pass on the CPU
// (BENCHMARKS.md, "CPU inference levers"). For inference the concatenation is laid out once here,
// into the attention's packed_qkv, which takes the same GEMM over the same weights: same logits.
// With `copy_weights` false (fp32, called before the checkpoint's weights are copied in) the block
// is left unset and the load writes q, k and v straight into it: no second copy of 10.6 MB, and
// no freed blocks left in the heap (a tenth of a 2-text predict's load).
void concatenate_qkv_once(torch::nn::Module& root, bool copy_weights) {
  at::NoGradGuard no_grad;
  for (auto& m : root.modules(/*include_self=*/false)) {
    auto* a = dynamic_cast<BertSelfAttention*>(m.get());
    if (a == nullptr || a->packed_qkv || !a->fused_qkv || a->query->packed) continue;
    const int64_t h = a->query->weight.size(0);
    const at::Tensor w = at::empty({3 * h, a->query->weight.size(1)}, a->query->weight.options());
    const at::Tensor b = at::empty({3 * h}, a->query->bias.options());
    a->packed_qkv = std::make_shared<ConcatenatedLinear>(w, b);  // (3h, h), (3h)
    // The three parameters become views of the concatenation: the weights are not held twice
    // (10.6 MB of the default model), and the [CLS]-only last layer's k and v are then one
    // adjacent block, which BertSelfAttention uses without concatenating them per forward.
    int64_t at_row = 0;
    for (Dense* d : {a->query.get(), a->key.get(), a->value.get()}) {
      if (copy_weights) {
        w.narrow(0, at_row, h).copy_(d->weight.detach());
        b.narrow(0, at_row, h).copy_(d->bias.detach());
      }
      d->weight.set_data(w.narrow(0, at_row, h));
      d->bias.set_data(b.narrow(0, at_row, h));
      at_row += h;
    }
  }
}

}  // namespace

struct Predictor::Impl {
  LoadedClassifier loaded;
  std::optional<data::Tokenizer> tokenizer;
  std::string model_dir;
  c10::Device device{c10::kCPU};
  std::optional<at::ScalarType> autocast;
  int64_t batch_size = 64;
  int64_t window = 64 * 32;  // examples per length-sorting window
  int max_length = 128;
  data::TruncationRule truncation;
  int windows_stride = -1;
  WindowAggregate window_aggregate = WindowAggregate::kMean;
  std::map<std::string, int64_t> label_ids;
  bool multi_label = false;
  std::vector<double> thresholds;  // multi-label, label order
  PredictStats stats;

  std::string known_labels() const {
    std::string known;
    for (auto& n : loaded.label_names) known += (known.empty() ? "" : ", ") + n;
    return known;
  }

  // at::parallel_for's OpenMP loop is a header template, and this file is built without
  // OpenMP: the texts are tokenized one after another on this thread (about 1% of a
  // predict's time; model/CMakeLists.txt says which files are built with OpenMP).
  std::vector<data::Example> tokenize(const std::vector<std::string>& texts,
                                      const std::vector<std::string>& pairs) {
    const auto start = Clock::now();
    std::vector<data::Example> examples(texts.size());
    at::parallel_for(0, static_cast<int64_t>(texts.size()), 16, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        auto enc = pairs.empty()
                       ? data::encode_truncated(*tokenizer, texts[i], max_length, truncation)
                       : tokenizer->encode_pair(texts[i], pairs[i], max_length);
        examples[i].input_ids = std::move(enc.ids);
        if (!pairs.empty()) examples[i].token_type_ids = std::move(enc.token_type_ids);
      }
    });
    stats.tokenize_s += seconds_since(start);
    return examples;
  }

  // One padded batch of examples[order[b..e)], predictions written to out[order[i]].
  void run_batch(const std::vector<data::Example>& examples, const std::vector<size_t>& order,
                 size_t b, size_t e, std::vector<Prediction>& out) {
    const int64_t n = static_cast<int64_t>(e - b);
    std::vector<const data::Example*> rows;
    rows.reserve(static_cast<size_t>(n));
    for (size_t i = b; i < e; ++i) rows.push_back(&examples[order[i]]);
    // Tensor-core friendly shapes on the GPU; on the CPU padding is only wasted work.
    const data::Batch batch =
        data::collate_view(rows, tokenizer->pad_id(), device.is_cuda() ? kCudaLengthMultiple : 1);
    const int64_t seq = batch.seq_len;
    for (const data::Example* ex : rows) stats.tokens += static_cast<int64_t>(ex->input_ids.size());
    const BatchTensors t = to_tensors(batch, device);
    at::Tensor logits;
    {
      AutocastGuard ac(device.type(), autocast);
      logits = loaded.model->forward(t.input_ids, t.attention_mask, t.token_type_ids)
                   .logits;  // (batch, labels)
    }
    logits = logits.to(at::kCPU, at::kFloat).contiguous();
    if (multi_label) {
      finish_multi_label(logits, order, b, out);
    } else {
      finish_single_label(logits, order, b, out);
    }
    stats.examples += n;
    stats.padded_tokens += n * seq;
    stats.batches += 1;
  }

  // Softmax and argmax of (n, labels) fp32 logits, written to out[order[b + r]].
  void finish_single_label(const at::Tensor& logits, const std::vector<size_t>& order, size_t b,
                           std::vector<Prediction>& out) {
    const int64_t n = logits.size(0);
    at::Tensor probs = at::softmax(logits, 1).contiguous();
    at::Tensor labels = logits.argmax(1).contiguous();
    const int64_t k = logits.size(1);
    const float* pl = logits.data_ptr<float>();
    const float* pp = probs.data_ptr<float>();
    const int64_t* pa = labels.data_ptr<int64_t>();
    for (int64_t r = 0; r < n; ++r) {
      Prediction& p = out[order[b + static_cast<size_t>(r)]];
      p.label = pa[r];
      p.logits.assign(pl + r * k, pl + (r + 1) * k);
      p.probs.assign(pp + r * k, pp + (r + 1) * k);
    }
  }

  // Multi-label: each label's sigmoid, computed in double and decided by the rule evaluation
  // uses (over_threshold), so that `predict` and `eval` agree on every decision.
  void finish_multi_label(const at::Tensor& logits, const std::vector<size_t>& order, size_t b,
                          std::vector<Prediction>& out) {
    const int64_t n = logits.size(0), k = logits.size(1);
    const float* pl = logits.data_ptr<float>();
    for (int64_t r = 0; r < n; ++r) {
      Prediction& p = out[order[b + static_cast<size_t>(r)]];
      p.logits.assign(pl + r * k, pl + (r + 1) * k);
      p.probs.resize(static_cast<size_t>(k));
      p.labels.clear();
      std::vector<double> prob(static_cast<size_t>(k));
      for (int64_t c = 0; c < k; ++c) {
        prob[c] = 1.0 / (1.0 + std::exp(-static_cast<double>(pl[r * k + c])));
        p.probs[c] = static_cast<float>(prob[c]);
        if (over_threshold(prob[c], thresholds[c])) p.labels.push_back(c);
      }
      p.label = std::max_element(p.logits.begin(), p.logits.end()) - p.logits.begin();
      std::stable_sort(p.labels.begin(), p.labels.end(),
                       [&](int64_t x, int64_t y) { return prob[x] > prob[y]; });
    }
  }
};

Predictor::Predictor(const PredictorOptions& o) : impl_(std::make_unique<Impl>()) {
  const auto start = Clock::now();
  auto& s = *impl_;
  if (o.batch_size <= 0) throw usage_error("model", "batch size must be positive");
  if (o.window_batches <= 0) throw usage_error("model", "the sorting window must be positive");
  if (o.threads < 0) throw usage_error("model", "threads must be 0 (all cores) or positive");
  if (o.max_length < 2)
    throw usage_error("model", "max length " + std::to_string(o.max_length) +
                                   " leaves no room for [CLS] and [SEP]");
  s.device = o.device;
  // Prediction batches have many different lengths: see attention_backend.h.
  if (s.device.is_cuda()) set_cudnn_attention(false);
  const bool int8 = o.precision == InferencePrecision::kInt8;
  s.autocast = autocast_dtype(autocast_precision(o.precision));
  if (int8 && !s.device.is_cpu())
    throw usage_error("model", "--precision int8 runs on the CPU only",
                      "use --device cpu, or bf16/fp16 on the GPU");
  warn_if_slow_bf16("model", to_string(autocast_precision(o.precision)), o.device.str(),
                    Bf16Use::kPrediction);
  s.batch_size = o.batch_size;
  s.window = o.batch_size * o.window_batches;
  s.model_dir = o.model_dir;
  const int threads = o.threads > 0
                          ? o.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // The tokenizer is read and parsed (tokenizer.json, vocab.txt: about a tenth of a 2-text
  // predict's set-up) on a thread of its own while this one loads the weights; its errors
  // surface at get(), after the model's, as when the two were loaded in turn.
  std::future<data::Tokenizer> tokenizer = std::async(
      std::launch::async, [dir = o.model_dir] { return data::Tokenizer::from_directory(dir); });
  // The load runs on this thread alone: it is copies, and OpenMP workers woken by its fills
  // spun after every region, burning the second core the tokenizer thread needs (and, on a
  // shared node, the time of whatever else runs there). Back to `threads` before the forward,
  // or on a throw (a caller may go on with LibTorch).
  struct ThreadsAfterLoad {
    int n;
    bool set = false;
    void now() {
      if (!set) at::set_num_threads(n);
      set = true;
    }
    ~ThreadsAfterLoad() { now(); }
  } threads_after_load{threads};
  at::set_num_threads(1);
  // The packed fp32 path reads q, k and v from the checkpoint's own layout; the others lay the
  // three out as one block before the load.
  const bool pack_fp32 =
      s.device.is_cpu() && !int8 && !s.autocast && o.pack_fp32_weights && packed_gemm_supported();
  {
    // Every weight comes from the checkpoint (one without a trained head is refused below).
    NoRandomInit no_random_init;
    LoadOptions load;
    if (s.device.is_cpu() && !int8 && !s.autocast && !pack_fp32)
      load.before_weights = [](SequenceClassifier& m) { concatenate_qkv_once(m, false); };
    s.loaded = load_classifier(o.model_dir, load, s.device);
  }
  if (!s.loaded.newly_initialised.empty()) {
    const std::string& first = s.loaded.newly_initialised.front();
    bool head = false;
    for (const auto& p : s.loaded.model->head_prefixes()) head |= first.rfind(p + ".", 0) == 0;
    throw model_error("model",
                      o.model_dir + " has no trained " +
                          std::string(head ? "classifier head" : "pooler") +
                          ": its predictions would be random",
                      "point at a fine-tuned checkpoint (a step-* directory or an exported model)");
  }
  // int8 and bf16 convert every weight: that work is parallel.
  if (int8 || s.autocast == at::kBFloat16) threads_after_load.now();
  if (int8) {
    // The classifier head stays fp32: it is a few hundred weights and its rounding would move
    // the scores directly.
    const int n = quantize_linears_int8(*s.loaded.model, s.loaded.model->head_prefixes());
    const Int8Kernels k = default_int8_kernels();
    log::get("model")->info("int8: {} linear layers quantised (weights per channel; {})", n,
                            describe(k));
    fuse_int8_qkv(*s.loaded.model);
  }
  if (s.autocast == at::kBFloat16 && s.device.is_cpu())
    cast_linears(*s.loaded.model, at::kBFloat16);
  // fp32 on an AVX-512 CPU: weights packed once for the kernel that reads them, in place of the
  // fp32 copies (BENCHMARKS.md, "fp32 batch-1 latency: weights packed once"); the packing is
  // parallel. oneDNN-prepacked weights (model/onednn_linear.h) were level at batch 1 and cost
  // memory.
  if (pack_fp32) {
    threads_after_load.now();
    const int n = pack_fp32_linears(*s.loaded.model);
    log::get("model")->debug("fp32: {} linear maps packed", n);
  }
  if (s.device.is_cpu()) concatenate_qkv_once(*s.loaded.model, /*copy_weights=*/true);
  threads_after_load.now();
  s.max_length =
      static_cast<int>(std::min<int64_t>(o.max_length, s.loaded.config.max_sequence_length()));
  s.tokenizer.emplace(tokenizer.get());
  s.truncation = o.truncation;
  if (std::string p = data::truncation_problem(o.truncation, s.max_length, false); !p.empty())
    throw usage_error("model", p, "see docs/configuration.md, data.truncation");
  if (o.windows_stride != -1) {
    if (std::string p = data::windows_problem(s.max_length, o.windows_stride); !p.empty())
      throw usage_error("model", p, "e.g. --windows 128 with --max-length 512");
  }
  s.windows_stride = o.windows_stride;
  s.window_aggregate = o.window_aggregate;
  for (size_t i = 0; i < s.loaded.label_names.size(); ++i)
    s.label_ids.emplace(s.loaded.label_names[i], static_cast<int64_t>(i));
  s.multi_label = s.loaded.config.problem_type == ProblemType::kMultiLabel;
  if (s.multi_label) {
    s.thresholds = read_thresholds(o.model_dir, s.loaded.label_names);
    if (s.thresholds.empty()) s.thresholds.assign(s.loaded.label_names.size(), kDefaultThreshold);
  }
  release_free_heap_pages();
  s.stats.load_s = seconds_since(start);
}

Predictor::~Predictor() = default;

const std::vector<std::string>& Predictor::label_names() const {
  return impl_->loaded.label_names;
}
bool Predictor::multi_label() const {
  return impl_->multi_label;
}
const std::vector<double>& Predictor::thresholds() const {
  return impl_->thresholds;
}
int Predictor::max_length() const {
  return impl_->max_length;
}
const PredictStats& Predictor::stats() const {
  return impl_->stats;
}
const data::Tokenizer& Predictor::tokenizer() const {
  return *impl_->tokenizer;
}

std::vector<Prediction> Predictor::predict(const std::vector<std::string>& texts,
                                           const std::vector<std::string>& pairs) {
  if (!pairs.empty() && pairs.size() != texts.size())
    throw usage_error("model", std::to_string(pairs.size()) + " second texts for " +
                                   std::to_string(texts.size()) + " texts");
  return predict_examples(impl_->tokenize(texts, pairs));
}

std::vector<Prediction> Predictor::predict_examples(const std::vector<data::Example>& examples) {
  auto& s = *impl_;
  const int64_t limit = s.loaded.config.max_sequence_length();
  for (const auto& ex : examples) {
    const auto len = static_cast<int64_t>(ex.input_ids.size());
    if (len == 0 || len > limit)
      throw data_error("model",
                       "example from row " + std::to_string(ex.source_row) + " has " +
                           std::to_string(len) + " tokens; the model takes 1 to " +
                           std::to_string(limit),
                       "tokenize with a max length of at most " + std::to_string(limit));
  }
  const auto start = Clock::now();
  std::vector<Prediction> out(examples.size());
  c10::InferenceMode inference;
  std::vector<size_t> order;
  const size_t window = static_cast<size_t>(s.window);
  const size_t batch = static_cast<size_t>(s.batch_size);
  for (size_t w = 0; w < examples.size(); w += window) {
    const size_t w_end = std::min(examples.size(), w + window);
    order.resize(w_end - w);
    std::iota(order.begin(), order.end(), w);
    // Longest first: a batch that does not fit fails at once, not at the end of the window.
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return examples[a].input_ids.size() > examples[b].input_ids.size();
    });
    for (size_t b = 0; b < order.size(); b += batch)
      s.run_batch(examples, order, b, std::min(order.size(), b + batch), out);
  }
  s.stats.forward_s += seconds_since(start);
  return out;
}

void Predictor::predict_table(const TableSpec& spec, const Sink& sink) {
  auto& s = *impl_;
  data::TableReadOptions ro;
  if (!spec.format.empty()) ro.format = data::parse_table_format(spec.format);
  if (!spec.pair_column.empty() && s.windows_stride >= 0)
    throw usage_error("model", "--windows reads single texts, not text pairs",
                      "drop --pair-column or --windows");
  if (!spec.pair_column.empty() && s.truncation.side != Truncation::kHead)
    throw usage_error("model",
                      "truncation " + to_string(s.truncation.side) + " applies to single texts",
                      "text pairs are cut longest_first: use --truncation head");
  auto reader = data::open_table(spec.path, ro);
  std::vector<std::string> columns = {spec.text_column};
  if (!spec.pair_column.empty()) columns.push_back(spec.pair_column);
  if (!spec.label_column.empty()) columns.push_back(spec.label_column);
  reader->select(columns);

  const data::LabelListFormat list_format{
      spec.label_separator,
      (spec.format.empty() ? data::table_format_for_path(spec.path)
                           : data::parse_table_format(spec.format)) == data::TableFormat::kJsonl};
  auto id_of = [&](const data::TableRow& row, const std::string& v) -> int64_t {
    if (auto it = s.label_ids.find(v); it != s.label_ids.end()) return it->second;
    try {
      size_t used = 0;
      long long id = std::stoll(v, &used);
      if (used == v.size() && id >= 0 && id < static_cast<long long>(s.label_ids.size())) return id;
    } catch (const std::exception&) {
    }
    throw data_error("model",
                     spec.path + ":" + std::to_string(row.line) + ": label \"" + v +
                         "\" is not one of the model's labels (" + s.known_labels() + ")",
                     "the model's labels are in its config.json (id2label)");
  };
  auto labels_of = [&](const data::TableRow& row) -> std::vector<int64_t> {
    if (spec.label_column.empty()) return {};
    const std::string& v = row.values.back();
    if (!s.multi_label) return {id_of(row, v)};
    std::vector<int64_t> ids;
    const std::string where = spec.path + ":" + std::to_string(row.line);
    for (const auto& name : data::split_label_list(v, list_format, where))
      ids.push_back(id_of(row, name));
    return ids;
  };

  // One window at a time: memory stays bounded whatever the file size.
  std::vector<data::TableRow> rows;
  std::vector<std::string> texts, pairs;
  std::vector<std::vector<int64_t>> labels;
  size_t text_bytes = 0;
  auto flush = [&] {
    if (s.windows_stride >= 0) {
      predict_windows(texts, rows,
                      [&](size_t i, const Prediction& p) { sink(rows[i], p, labels[i]); });
    } else {
      auto examples = s.tokenize(texts, pairs);
      for (size_t i = 0; i < rows.size(); ++i) examples[i].source_row = rows[i].record;
      auto preds = predict_examples(examples);
      for (size_t i = 0; i < rows.size(); ++i) sink(rows[i], preds[i], labels[i]);
    }
    s.stats.texts += static_cast<int64_t>(rows.size());
    rows.clear();
    texts.clear();
    pairs.clear();
    labels.clear();
    text_bytes = 0;
  };
  data::TableRow row;
  while (reader->next(row)) {
    labels.push_back(labels_of(row));  // validate before spending compute on the window
    text_bytes += row.values[0].size();
    texts.push_back(std::move(row.values[0]));
    if (!spec.pair_column.empty()) pairs.push_back(std::move(row.values[1]));
    row.values.clear();
    rows.push_back(row);
    // With windows a few long texts fill a window of examples: bound their bytes too.
    if (static_cast<int64_t>(rows.size()) >= s.window ||
        (s.windows_stride >= 0 && text_bytes >= kWindowedTextBytes))
      flush();
  }
  if (!rows.empty()) flush();
}

void Predictor::predict_windows(const std::vector<std::string>& texts,
                                const std::vector<data::TableRow>& rows,
                                const std::function<void(size_t, const Prediction&)>& done) {
  auto& s = *impl_;
  const auto start = Clock::now();
  std::vector<std::vector<data::Encoding>> windows(texts.size());
  at::parallel_for(0, static_cast<int64_t>(texts.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      windows[i] = data::encode_windows(*s.tokenizer, texts[i], s.max_length, s.windows_stride);
  });
  s.stats.tokenize_s += seconds_since(start);
  // The windows go through the model a sorting window of examples at a time, each text's
  // logits combined as its windows come back.
  std::vector<WindowAggregator> texts_so_far(texts.size(), WindowAggregator(s.window_aggregate));
  std::vector<data::Example> chunk;
  std::vector<size_t> owner;
  auto run = [&] {
    auto preds = predict_examples(chunk);
    for (size_t j = 0; j < preds.size(); ++j) texts_so_far[owner[j]].add(preds[j].logits);
    chunk.clear();
    owner.clear();
  };
  for (size_t i = 0; i < texts.size(); ++i) {
    for (auto& w : windows[i]) {
      data::Example ex;
      ex.input_ids = std::move(w.ids);
      ex.source_row = rows[i].record;
      chunk.push_back(std::move(ex));
      owner.push_back(i);
      if (static_cast<int64_t>(chunk.size()) >= s.window) run();
    }
    windows[i] = {};
  }
  if (!chunk.empty()) run();
  for (size_t i = 0; i < texts.size(); ++i) done(i, texts_so_far[i].result());
}

void Predictor::predict_corpus(const std::string& path, const CorpusSink& sink) {
  auto& s = *impl_;
  data::Corpus corpus = data::Corpus::open(path);
  const std::string ours = s.tokenizer->fingerprint();
  if (corpus.fingerprint() != ours)
    throw data_error("model",
                     "corpus " + path + " was tokenized with another tokenizer (fingerprint " +
                         corpus.fingerprint() + ", the checkpoint's is " + ours + ")",
                     "re-prep it with the checkpoint's tokenizer: berth prep --model " +
                         s.model_dir + " --input <the source file> --out " + path);
  if (!corpus.labeled())
    throw data_error("model", "corpus " + path + " has no labels",
                     "prep it with --label-column (and --labels-from the training corpus)");
  if (corpus.multi_label() != s.multi_label)
    throw data_error("model",
                     "corpus " + path + " is " +
                         (corpus.multi_label() ? "multi-label" : "single-label") +
                         " but the checkpoint is a " +
                         (s.multi_label ? "multi-label" : "single-label") + " classifier",
                     "evaluate it with a checkpoint trained on the same kind of labels");
  // The corpus's label ids index its own label_names; map them by name onto the model's.
  std::vector<int64_t> to_model;
  std::vector<std::string> unknown;
  for (const auto& name : corpus.label_names()) {
    auto it = s.label_ids.find(name);
    if (it == s.label_ids.end()) unknown.push_back("\"" + name + "\"");
    to_model.push_back(it == s.label_ids.end() ? -1 : it->second);
  }
  if (!unknown.empty()) {
    std::string list;
    for (auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
    throw data_error("model",
                     "corpus " + path + ": label" + (unknown.size() > 1 ? "s " : " ") + list +
                         (unknown.size() > 1 ? " are" : " is") +
                         " not one of the checkpoint's labels (" + s.known_labels() + ")",
                     "evaluate a checkpoint trained on these labels, or re-prep the corpus "
                     "without them");
  }
  std::vector<int64_t> indices;
  for (int64_t w = 0; w < corpus.size(); w += s.window) {
    const int64_t w_end = std::min(corpus.size(), w + s.window);
    indices.resize(static_cast<size_t>(w_end - w));
    std::iota(indices.begin(), indices.end(), w);
    auto examples = corpus.read(indices);
    for (const auto& ex : examples)
      if (!s.multi_label && (ex.label < 0 || ex.label >= static_cast<int32_t>(to_model.size())))
        throw data_error("model", "corpus " + path + ": example from row " +
                                      std::to_string(ex.source_row) + " has no valid label");
    auto preds = predict_examples(examples);
    std::vector<int64_t> ids;
    for (size_t i = 0; i < examples.size(); ++i) {
      ids.clear();
      if (s.multi_label) {
        for (int32_t l : examples[i].label_set) ids.push_back(to_model[static_cast<size_t>(l)]);
      } else {
        ids.push_back(to_model[static_cast<size_t>(examples[i].label)]);
      }
      sink(examples[i].source_row, preds[i], ids);
    }
  }
}

}  // namespace berth::model
