#include "model/distilbert_model.h"

#include "common/error.h"
#include "model/bert_model.h"
#include "model/fast_dropout.h"

namespace berth::model {

DistilBertAttention::DistilBertAttention(const ModelConfig& c)
    : BertSelfAttention(c, {"q_lin", "k_lin", "v_lin"}) {
  out_lin = register_module("out_lin", std::make_shared<Dense>(c.hidden_size, c.hidden_size));
}

at::Tensor DistilBertAttention::forward(const at::Tensor& hidden, const at::Tensor& mask,
                                        const at::Tensor& queries_from) {
  return out_lin->forward(BertSelfAttention::forward(hidden, mask, queries_from));
}

DistilBertFfn::DistilBertFfn(const ModelConfig& c)
    : activation(c.activation), dropout(c.hidden_dropout_prob) {
  lin1 = register_module("lin1", std::make_shared<Dense>(c.hidden_size, c.intermediate_size));
  lin2 = register_module("lin2", std::make_shared<Dense>(c.intermediate_size, c.hidden_size));
}

at::Tensor DistilBertFfn::forward(const at::Tensor& x) {
  at::Tensor h = activate(lin1->forward(x), activation);  // (batch, seq, hidden_dim)
  return model::dropout(lin2->forward(h), dropout, is_training());
}

DistilBertBlock::DistilBertBlock(const ModelConfig& c) {
  attention = register_module("attention", std::make_shared<DistilBertAttention>(c));
  sa_layer_norm = register_module("sa_layer_norm",
                                  std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
  ffn = register_module("ffn", std::make_shared<DistilBertFfn>(c));
  output_layer_norm = register_module("output_layer_norm",
                                      std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

at::Tensor DistilBertBlock::forward(const at::Tensor& hidden, const at::Tensor& mask,
                                    bool cls_only) {
  // As BertAttention::forward: one narrow feeds the queries and the residual.
  const at::Tensor first = cls_only ? hidden.narrow(1, 0, 1) : at::Tensor();  // (batch, 1, hidden)
  at::Tensor a = attention->forward(hidden, mask, first);  // (batch, queries, hidden)
  a = sa_layer_norm->forward(a + (cls_only ? first : hidden));
  return output_layer_norm->forward(ffn->forward(a) + a);
}

DistilBertModel::DistilBertModel(const ModelConfig& c) : max_positions(c.max_sequence_length()) {
  embeddings = register_module("embeddings", std::make_shared<BertEmbeddings>(c));
  auto transformer = register_module("transformer", std::make_shared<torch::nn::Module>());
  auto list = transformer->register_module("layer", std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i)
    layers.push_back(
        list->register_module(std::to_string(i), std::make_shared<DistilBertBlock>(c)));
  init_bert_weights(*this, c.initializer_range, std::nullopt);
}

at::Tensor DistilBertModel::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask) {
  if (input_ids.dim() != 2)
    throw usage_error("model", "input_ids must be (batch, seq), got " +
                                   std::to_string(input_ids.dim()) + " dimensions");
  if (input_ids.size(1) > max_positions)
    throw usage_error("model",
                      "sequence length " + std::to_string(input_ids.size(1)) +
                          " exceeds the model's max_position_embeddings " +
                          std::to_string(max_positions),
                      "lower max_length to at most " + std::to_string(max_positions));
  at::Tensor ids = input_ids.to(at::kLong);
  at::Tensor x = embeddings->forward(ids, {});  // (batch, seq, hidden)
  at::Tensor mask = additive_attention_mask(attention_mask, x.scalar_type());
  for (size_t i = 0; i < layers.size(); ++i)
    x = layers[i]->forward(x, mask, last_layer_cls_only && i + 1 == layers.size());
  return x;
}

DistilBertClassifier::DistilBertClassifier(const ModelConfig& c, int64_t num_labels)
    : classifier_dropout(c.seq_classif_dropout), initializer_range(c.initializer_range) {
  if (num_labels <= 0)
    throw usage_error("model", "num_labels must be positive, got " + std::to_string(num_labels));
  distilbert = register_module("distilbert", std::make_shared<DistilBertModel>(c));
  distilbert->last_layer_cls_only = true;
  pre_classifier =
      register_module("pre_classifier", std::make_shared<Dense>(c.hidden_size, c.hidden_size));
  classifier = register_module("classifier", std::make_shared<Dense>(c.hidden_size, num_labels));
  reset_classifier(std::nullopt);
}

void DistilBertClassifier::reset_classifier(std::optional<at::Generator> gen) {
  pre_classifier->reset(initializer_range, gen);
  classifier->reset(initializer_range, gen);
}

ClassifierOutput DistilBertClassifier::forward(const at::Tensor& input_ids,
                                               const at::Tensor& attention_mask,
                                               const at::Tensor& /*token_type_ids*/) {
  ClassifierOutput out;
  out.last_hidden = distilbert->forward(input_ids, attention_mask);  // (batch, seq or 1, hidden)
  at::Tensor h = at::relu(pre_classifier->forward(out.last_hidden.select(1, 0)));  // (batch, h)
  h = model::dropout(h, classifier_dropout, is_training());
  out.logits = classifier->forward(h);  // (batch, num_labels)
  return out;
}

}  // namespace berth::model
