#include "model/model_family.h"

namespace berth::model {

namespace {

struct FamilyNames {
  ModelFamily family;
  const char* model_type;
  const char* architecture;
  const char* prefix;
};

// One row per family: the names transformers uses for it (AutoConfig's model_type, the
// *ForSequenceClassification class, its base_model_prefix).
constexpr FamilyNames kFamilies[] = {
    {ModelFamily::kBert, "bert", "BertForSequenceClassification", "bert"},
    {ModelFamily::kRoberta, "roberta", "RobertaForSequenceClassification", "roberta"},
    {ModelFamily::kXlmRoberta, "xlm-roberta", "XLMRobertaForSequenceClassification", "roberta"},
    {ModelFamily::kElectra, "electra", "ElectraForSequenceClassification", "electra"},
    {ModelFamily::kDistilBert, "distilbert", "DistilBertForSequenceClassification", "distilbert"},
    {ModelFamily::kDebertaV2, "deberta-v2", "DebertaV2ForSequenceClassification", "deberta"},
    {ModelFamily::kModernBert, "modernbert", "ModernBertForSequenceClassification", "model"},
};

const FamilyNames& names_of(ModelFamily f) {
  for (const auto& n : kFamilies)
    if (n.family == f) return n;
  return kFamilies[0];  // unreachable: every enumerator has a row
}

}  // namespace

std::optional<ModelFamily> parse_model_family(const std::string& model_type) {
  for (const auto& n : kFamilies)
    if (model_type == n.model_type) return n.family;
  return std::nullopt;
}

const char* model_type_of(ModelFamily f) {
  return names_of(f).model_type;
}

const char* sequence_classifier_architecture(ModelFamily f) {
  return names_of(f).architecture;
}

const char* base_model_prefix(ModelFamily f) {
  return names_of(f).prefix;
}

bool family_implemented(ModelFamily f) {
  (void)f;
  return true;
}

}  // namespace berth::model
