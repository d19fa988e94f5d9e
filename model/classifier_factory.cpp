#include "model/classifier_factory.h"

#include "common/error.h"
#include "model/bert_model.h"
#include "model/deberta_v2_model.h"
#include "model/dense_head_classifier.h"
#include "model/distilbert_model.h"
#include "model/modernbert_model.h"

namespace berth::model {

std::shared_ptr<SequenceClassifier> make_classifier(const ModelConfig& config, int64_t num_labels) {
  switch (config.family) {
    case ModelFamily::kBert:
      return std::make_shared<BertClassifier>(config, num_labels);
    case ModelFamily::kRoberta:
    case ModelFamily::kXlmRoberta:
    case ModelFamily::kElectra:
      return std::make_shared<DenseHeadClassifier>(config, num_labels);
    case ModelFamily::kDistilBert:
      return std::make_shared<DistilBertClassifier>(config, num_labels);
    case ModelFamily::kDebertaV2:
      return std::make_shared<DebertaV2Classifier>(
          DebertaV2Config::from_json(config.original, "config.json"), num_labels);
    case ModelFamily::kModernBert:
      return std::make_shared<ModernBertClassifier>(
          ModernBertConfig::from_json(config.original, "config.json"), num_labels);
  }
  throw model_error("model",
                    std::string("model_type \"") + model_type_of(config.family) +
                        "\" is not yet supported by this build",
                    kSupportedModels);
}

}  // namespace berth::model
