// Layer-wise learning-rate decay (optim.layer_decay), as the ELECTRA and DeBERTa fine-tuning
// recipes use it: layers near the input learnt general features in pre-training and move less.
// A parameter at depth d of an encoder of L layers (model/parameter_layer.h: 0 = embeddings,
// 1..L = layers, L + 1 = head) trains at lr * decay^(L + 1 - d): the head at the base rate,
// layer i at decay^(L - i), the embeddings at decay^(L + 1). The factors scale each AdamW group's
// rate (trainer/adamw.h), so the warm-up and decay schedule multiplies all of them alike.
#pragma once

#include <string>
#include <vector>

#include "model/model_family.h"

namespace berth::trainer {

// One factor per name, in the order given; all 1 when decay is 1.
std::vector<double> layer_decay_factors(model::ModelFamily family,
                                        const std::vector<std::string>& names, double decay);

}  // namespace berth::trainer
