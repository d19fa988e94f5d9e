#include "model/bert_model.h"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <limits>

#include "common/error.h"
#include "model/dtype_lowest.h"
#include "model/fast_dropout.h"

namespace berth::model {

at::Tensor additive_attention_mask(const at::Tensor& attention_mask, at::ScalarType dtype) {
  if (!attention_mask.defined()) return {};
  // HF checks torch.all(mask == 1) the same way and drops the mask if so. That is a host sync,
  // which on a GPU stalls the launch queue (and cannot be captured in a CUDA graph): there the
  // caller, who built the batch on the host, passes no mask for a batch without padding.
  if (attention_mask.is_cpu() && attention_mask.eq(1).all().item<bool>()) return {};
  const int64_t batch = attention_mask.size(0), seq = attention_mask.size(1);
  at::Tensor keep = attention_mask.reshape({batch, 1, 1, seq});  // (batch, 1, 1, seq)
  return at::zeros(keep.sizes(), keep.options().dtype(dtype))
      .masked_fill(keep.eq(0), dtype_lowest(dtype));
}

BertPooler::BertPooler(const BertConfig& c) {
  dense = register_module("dense", std::make_shared<Dense>(c.hidden_size, c.hidden_size));
}

at::Tensor BertPooler::forward(const at::Tensor& last_hidden) {
  at::Tensor first = last_hidden.select(1, 0);  // (batch, hidden): the [CLS] position
  return at::tanh(dense->forward(first));
}

BertModel::BertModel(const BertConfig& c, bool with_pooler)
    : max_positions(c.max_sequence_length()) {
  embeddings = register_module("embeddings", std::make_shared<BertEmbeddings>(c));
  if (c.embedding_size != c.hidden_size)
    embeddings_project = register_module("embeddings_project",
                                         std::make_shared<Dense>(c.embedding_size, c.hidden_size));
  encoder = register_module("encoder", std::make_shared<BertEncoder>(c));
  if (with_pooler) pooler = register_module("pooler", std::make_shared<BertPooler>(c));
  init_bert_weights(*this, c.initializer_range, std::nullopt);
}

BertOutput BertModel::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                              const at::Tensor& token_type_ids) {
  if (input_ids.dim() != 2)
    throw usage_error("model", "input_ids must be (batch, seq), got " +
                                   std::to_string(input_ids.dim()) + " dimensions");
  if (input_ids.size(1) > max_positions)
    throw usage_error("model",
                      "sequence length " + std::to_string(input_ids.size(1)) +
                          " exceeds the model's max_position_embeddings " +
                          std::to_string(max_positions),
                      "lower max_length to at most " + std::to_string(max_positions));
  // RoBERTa and XLM-R checkpoints have one token type (type_vocab_size 1): their tokenizers give
  // transformers no token_type_ids, so it embeds type 0 everywhere. A tokenizer that numbers a
  // pair's second text 1 (a template, BERT's post-processor) would index past the table: the
  // types are zeros there, as transformers sees them.
  const bool one_type =
      embeddings->token_type_embeddings && embeddings->token_type_embeddings->weight.size(0) == 1;
  at::Tensor types =
      token_type_ids.defined() && !one_type ? token_type_ids : at::zeros_like(input_ids);
  at::Tensor ids = input_ids.to(at::kLong), tt = types.to(at::kLong);

  BertOutput out;
  at::Tensor x = embeddings->forward(ids, tt);                 // (batch, seq, embedding)
  if (embeddings_project) x = embeddings_project->forward(x);  // (batch, seq, hidden)
  // The mask takes the embedding output's dtype as in HF (fp32 under autocast; autocast casts
  // it for the attention kernel).
  at::Tensor mask = additive_attention_mask(attention_mask, x.scalar_type());
  out.last_hidden = encoder->forward(x, mask, last_layer_cls_only);  // (batch, seq or 1, hidden)
  if (pooler) out.pooled = pooler->forward(out.last_hidden);         // (batch, hidden)
  return out;
}

BertClassifier::BertClassifier(const BertConfig& c, int64_t num_labels)
    : classifier_dropout(c.effective_classifier_dropout()), initializer_range(c.initializer_range) {
  if (num_labels <= 0)
    throw usage_error("model", "num_labels must be positive, got " + std::to_string(num_labels));
  bert = register_module("bert", std::make_shared<BertModel>(c));
  bert->last_layer_cls_only = true;
  classifier = register_module("classifier", std::make_shared<Dense>(c.hidden_size, num_labels));
  reset_classifier(std::nullopt);
}

void BertClassifier::reset_classifier(std::optional<at::Generator> gen) {
  classifier->reset(initializer_range, gen);
}

BertOutput BertClassifier::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                   const at::Tensor& token_type_ids) {
  BertOutput out = bert->forward(input_ids, attention_mask, token_type_ids);
  at::Tensor h = model::dropout(out.pooled, classifier_dropout, is_training());  // (batch, hidden)
  out.logits = classifier->forward(h);  // (batch, num_labels)
  return out;
}

}  // namespace berth::model
