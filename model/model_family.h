// The encoder families Berth builds classifiers for, chosen by config.json's model_type. Parsed
// once (ModelConfig::from_json); everything downstream switches on the enum, never on strings.
// Torch-free, like model_config.h.
#pragma once

#include <optional>
#include <string>

namespace berth::model {

enum class ModelFamily {
  kBert,        // "bert": BERT, MiniLM, BGE, E5, ...
  kRoberta,     // "roberta"
  kXlmRoberta,  // "xlm-roberta": RoBERTa's architecture with a multilingual vocabulary
  kElectra,     // "electra": the discriminator
  kDistilBert,  // "distilbert"
  kDebertaV2,   // "deberta-v2"
  kModernBert,  // "modernbert"
};

// What Berth can load, for the messages that refuse a model directory.
inline constexpr const char* kSupportedModels =
    "Berth runs encoders of the model types bert (BERT, MiniLM, BGE, E5, ...), roberta, "
    "xlm-roberta, electra, distilbert, deberta-v2 (DeBERTa v2/v3) and modernbert as single- or "
    "multi-label classifiers, from config.json and one model.safetensors";

// config.json's model_type, or nullopt for one Berth does not know.
std::optional<ModelFamily> parse_model_family(const std::string& model_type);
// The model_type a save writes.
const char* model_type_of(ModelFamily f);
// The transformers class a save names in "architectures", e.g. RobertaForSequenceClassification.
const char* sequence_classifier_architecture(ModelFamily f);
// The attribute holding the base model in that class, and so the prefix of its parameter names:
// "bert", "roberta" (RoBERTa and XLM-R), "electra", "distilbert", "deberta", "model".
const char* base_model_prefix(ModelFamily f);
// Whether this build has the family's classifier (make_classifier refuses the others).
bool family_implemented(ModelFamily f);

}  // namespace berth::model
