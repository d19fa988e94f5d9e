// The settings that take one of a fixed set of names (train.precision, train.metric,
// optim.schedule, data.truncation; --precision, --window-aggregate; a model's problem_type): one
// enum each, parsed once where the config or the command line is validated, so that the code
// after that compares enums instead of strings. The names are the documented values, in the
// order their enum lists them.
#pragma once

#include <array>
#include <optional>
#include <string>

namespace berth {

enum class Precision { kFp32, kBf16, kFp16 };
// predict/eval/serve's --precision: the training precisions, or int8 (CPU: int8 Linear weights,
// fp32 elsewhere; model/int8_linear.h).
enum class InferencePrecision { kFp32, kBf16, kFp16, kInt8 };
// accuracy is subset accuracy (the whole label set right) for multi-label; micro_f1 equals
// accuracy for single-label classification.
enum class Metric { kAccuracy, kMacroF1, kLoss, kMicroF1 };
enum class Schedule { kLinear, kCosine, kConstant };
// Which word pieces of a text longer than max_length are kept (data/truncation.h).
enum class Truncation { kHead, kTail, kHeadTail };
// How the logits of a text's windows (--windows) become the text's logits.
enum class WindowAggregate { kMean, kMax };
// Hugging Face's config.json problem_type names: one class per text, or a set of labels per text.
// A config.json may also name a regression, which Berth reads only to refuse the model
// (model/pretrained.cpp); training and evaluation see the two classification types.
enum class ProblemType { kSingleLabel, kMultiLabel, kRegression };

template <class E>
struct ChoiceNames;
template <>
struct ChoiceNames<Precision> {
  static constexpr std::array<const char*, 3> names{"fp32", "bf16", "fp16"};
};
template <>
struct ChoiceNames<InferencePrecision> {
  static constexpr std::array<const char*, 4> names{"fp32", "bf16", "fp16", "int8"};
};
template <>
struct ChoiceNames<Metric> {
  static constexpr std::array<const char*, 4> names{"accuracy", "macro_f1", "loss", "micro_f1"};
};
template <>
struct ChoiceNames<Schedule> {
  static constexpr std::array<const char*, 3> names{"linear", "cosine", "constant"};
};

template <>
struct ChoiceNames<Truncation> {
  static constexpr std::array<const char*, 3> names{"head", "tail", "head_tail"};
};
template <>
struct ChoiceNames<WindowAggregate> {
  static constexpr std::array<const char*, 2> names{"mean", "max"};
};
template <>
struct ChoiceNames<ProblemType> {
  static constexpr std::array<const char*, 3> names{"single_label_classification",
                                                    "multi_label_classification", "regression"};
};

// The autocast precision of an inference precision: int8 computes its Linear layers in int8 and
// everything else in fp32.
inline Precision autocast_precision(InferencePrecision p) {
  switch (p) {
    case InferencePrecision::kBf16:
      return Precision::kBf16;
    case InferencePrecision::kFp16:
      return Precision::kFp16;
    default:
      return Precision::kFp32;
  }
}

template <class E>
std::string to_string(E value) {
  return ChoiceNames<E>::names[static_cast<size_t>(value)];
}

// Exact (case-sensitive) match of one of the names; null otherwise.
template <class E>
std::optional<E> parse_choice(const std::string& text) {
  const auto& names = ChoiceNames<E>::names;
  for (size_t i = 0; i < names.size(); ++i)
    if (text == names[i]) return static_cast<E>(i);
  return std::nullopt;
}

// "fp32, bf16 or fp16", for error messages.
template <class E>
std::string allowed_choices() {
  const auto& names = ChoiceNames<E>::names;
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
  return out;
}

}  // namespace berth
