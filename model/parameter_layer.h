// Where each parameter sits in its encoder, for layer-wise learning-rate decay
// (trainer/layer_decay.h): 0 = the embeddings, i = encoder layer i (1-based), num_layers + 1 =
// above the encoder (the head, BERT's pooler, DeBERTa's context pooler, ModernBERT's final norm
// and head), as ELECTRA's _get_layer_lrs places them. The family decides from its parameter
// names (the transformers state_dict keys, sequence_classifier.h):
//   bert, roberta, xlm-roberta, electra, deberta-v2   <base>.encoder.layer.N.
//   distilbert                                        distilbert.transformer.layer.N.
//   modernbert                                        model.layers.N.
// and "<base>.embeddings*" (ELECTRA's embeddings_project included) is depth 0, as are DeBERTa's
// relative-position embeddings and their LayerNorm (deberta.encoder.rel_embeddings,
// deberta.encoder.LayerNorm): every layer reads them, like the position embeddings.
// Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model_family.h"

namespace berth::model {

struct ParameterLayers {
  std::vector<int64_t> depth;  // one per name, in the order given
  int64_t num_layers = 0;      // encoder layers found (the largest layer index + 1)
};

ParameterLayers parameter_layers(ModelFamily family, const std::vector<std::string>& names);

}  // namespace berth::model
