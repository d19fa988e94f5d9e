#include "model/predictor.h"

#include <ATen/autocast_mode.h>

#include <map>

#include "common/error.h"
#include "data/batch.h"
#include "data/tokenizer.h"
#include "model/pretrained.h"

namespace berth::model {

namespace {

c10::Device parse_device(const std::string& s) {
  c10::Device d(c10::kCPU);
  try {
    d = c10::Device(s);
  } catch (const std::exception&) {
    throw usage_error("model", "unknown device \"" + s + "\"", "use cpu, cuda or cuda:N");
  }
  if (d.is_cuda() && !at::hasCUDA())
    throw usage_error("model", "device " + s + " requested but no CUDA device is available",
                      "use --device cpu");
  if (!d.is_cpu() && !d.is_cuda()) throw usage_error("model", "unsupported device " + s);
  return d;
}

std::optional<at::ScalarType> parse_precision(const std::string& p) {
  if (p == "fp32") return std::nullopt;
  if (p == "bf16") return at::kBFloat16;
  if (p == "fp16") return at::kHalf;
  throw usage_error("model", "unknown precision \"" + p + "\"", "use fp32, bf16 or fp16");
}

// Autocast for one forward pass; restores the previous state (autocast is thread-local).
class ScopedAutocast {
 public:
  ScopedAutocast(at::DeviceType device, std::optional<at::ScalarType> dtype) : device_(device) {
    if (!dtype) return;
    active_ = true;
    prev_enabled_ = at::autocast::is_autocast_enabled(device);
    prev_dtype_ = at::autocast::get_autocast_dtype(device);
    at::autocast::set_autocast_dtype(device, *dtype);
    at::autocast::set_autocast_enabled(device, true);
  }
  ~ScopedAutocast() {
    if (!active_) return;
    at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, prev_enabled_);
    at::autocast::set_autocast_dtype(device_, prev_dtype_);
  }

 private:
  at::DeviceType device_;
  bool active_ = false;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

}  // namespace

struct Predictor::Impl {
  LoadedClassifier loaded;
  std::optional<data::Tokenizer> tokenizer;
  c10::Device device{c10::kCPU};
  std::optional<at::ScalarType> autocast;
  int64_t batch_size = 64;
  int max_length = 128;
  std::map<std::string, int64_t> label_ids;
};

Predictor::Predictor(const PredictorOptions& o) : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  if (o.batch_size <= 0) throw usage_error("model", "batch size must be positive");
  if (o.max_length < 2)
    throw usage_error("model", "max length " + std::to_string(o.max_length) +
                                   " leaves no room for [CLS] and [SEP]");
  s.device = parse_device(o.device);
  s.autocast = parse_precision(o.precision);
  s.batch_size = o.batch_size;
  s.loaded = load_classifier(o.model_dir, LoadOptions{}, s.device);
  if (!s.loaded.newly_initialised.empty())
    throw model_error("model",
                      o.model_dir + " has no trained " +
                          (s.loaded.newly_initialised.front().rfind("classifier", 0) == 0
                               ? std::string("classifier head")
                               : std::string("pooler")) +
                          ": its predictions would be random",
                      "point at a fine-tuned checkpoint (a step-* directory or an exported model)");
  s.max_length =
      static_cast<int>(std::min<int64_t>(o.max_length, s.loaded.config.max_position_embeddings));
  s.tokenizer.emplace(data::Tokenizer::from_directory(o.model_dir));
  for (size_t i = 0; i < s.loaded.label_names.size(); ++i)
    s.label_ids.emplace(s.loaded.label_names[i], static_cast<int64_t>(i));
}

Predictor::~Predictor() = default;

const std::vector<std::string>& Predictor::label_names() const {
  return impl_->loaded.label_names;
}
int Predictor::max_length() const {
  return impl_->max_length;
}

std::vector<Prediction> Predictor::predict(const std::vector<std::string>& texts,
                                           const std::vector<std::string>& pairs) {
  auto& s = *impl_;
  if (!pairs.empty() && pairs.size() != texts.size())
    throw usage_error("model", std::to_string(pairs.size()) + " second texts for " +
                                   std::to_string(texts.size()) + " texts");
  std::vector<Prediction> out;
  out.reserve(texts.size());
  at::NoGradGuard no_grad;
  for (size_t start = 0; start < texts.size(); start += static_cast<size_t>(s.batch_size)) {
    const size_t end = std::min(texts.size(), start + static_cast<size_t>(s.batch_size));
    std::vector<data::Example> examples;
    for (size_t i = start; i < end; ++i) {
      auto enc = pairs.empty() ? s.tokenizer->encode(texts[i], s.max_length)
                               : s.tokenizer->encode_pair(texts[i], pairs[i], s.max_length);
      data::Example e;
      e.input_ids = std::move(enc.ids);
      if (!pairs.empty()) e.token_type_ids = std::move(enc.token_type_ids);
      examples.push_back(std::move(e));
    }
    auto b = data::collate(examples, s.tokenizer->pad_id());
    auto tensor = [&](std::vector<int64_t>& v) {
      return at::from_blob(v.data(), {b.batch_size, b.seq_len}, at::kLong).clone().to(s.device);
    };
    at::Tensor logits;
    {
      ScopedAutocast ac(s.device.type(), s.autocast);
      logits = s.loaded.model
                   ->forward(tensor(b.input_ids), tensor(b.attention_mask),
                             tensor(b.token_type_ids))
                   .logits;  // (batch, labels)
    }
    logits = logits.to(at::kCPU, at::kFloat).contiguous();
    at::Tensor probs = at::softmax(logits, 1).contiguous();
    at::Tensor labels = logits.argmax(1).contiguous();
    const int64_t k = logits.size(1);
    for (int64_t i = 0; i < b.batch_size; ++i) {
      Prediction p;
      p.label = labels.data_ptr<int64_t>()[i];
      p.logits.assign(logits.data_ptr<float>() + i * k, logits.data_ptr<float>() + (i + 1) * k);
      p.probs.assign(probs.data_ptr<float>() + i * k, probs.data_ptr<float>() + (i + 1) * k);
      out.push_back(std::move(p));
    }
  }
  return out;
}

void Predictor::predict_table(const TableSpec& spec, const Sink& sink) {
  auto& s = *impl_;
  data::TableReadOptions ro;
  if (!spec.format.empty()) ro.format = data::parse_table_format(spec.format);
  auto reader = data::open_table(spec.path, ro);
  std::vector<std::string> columns = {spec.text_column};
  if (!spec.pair_column.empty()) columns.push_back(spec.pair_column);
  if (!spec.label_column.empty()) columns.push_back(spec.label_column);
  reader->select(columns);

  auto label_of = [&](const data::TableRow& row) -> int64_t {
    if (spec.label_column.empty()) return -1;
    const std::string& v = row.values.back();
    if (auto it = s.label_ids.find(v); it != s.label_ids.end()) return it->second;
    try {
      size_t used = 0;
      long long id = std::stoll(v, &used);
      if (used == v.size() && id >= 0 && id < static_cast<long long>(s.label_ids.size())) return id;
    } catch (const std::exception&) {
    }
    std::string known;
    for (auto& n : s.loaded.label_names) known += (known.empty() ? "" : ", ") + n;
    throw data_error("model",
                     spec.path + ":" + std::to_string(row.line) + ": label \"" + v +
                         "\" is not one of the model's labels (" + known + ")",
                     "the model's labels are in its config.json (id2label)");
  };

  std::vector<data::TableRow> rows;
  std::vector<std::string> texts, pairs;
  std::vector<int64_t> labels;
  auto flush = [&] {
    auto preds = predict(texts, pairs);
    for (size_t i = 0; i < rows.size(); ++i) sink(rows[i], preds[i], labels[i]);
    rows.clear();
    texts.clear();
    pairs.clear();
    labels.clear();
  };
  data::TableRow row;
  while (reader->next(row)) {
    labels.push_back(label_of(row));  // validate before spending compute on the batch
    texts.push_back(row.values[0]);
    if (!spec.pair_column.empty()) pairs.push_back(row.values[1]);
    rows.push_back(row);
    if (static_cast<int64_t>(rows.size()) >= s.batch_size) flush();
  }
  if (!rows.empty()) flush();
}

}  // namespace berth::model
