#include "trainer/tensorboard_sink.h"

#include <cmath>

#include "common/error.h"
#include "common/log.h"
#include "run_directory/curves.h"

namespace berth::trainer {

using run_directory::RecordType;

void TensorBoardSink::operator()(const run_directory::Record& r) {
  if (failed_) return;
  try {
    const double time = std::isnan(r.time) ? 0.0 : r.time;
    if (r.type == RecordType::kStart || r.type == RecordType::kResume) {
      writer_.reset();
      writer_ =
          std::make_unique<TensorBoardWriter>(dir_, r.type == RecordType::kStart ? -1 : r.step);
      return;
    }
    // Records before a start record (none in `berth train`) keep what the directory has.
    if (!writer_) writer_ = std::make_unique<TensorBoardWriter>(dir_, INT64_MAX);
    const bool evaluation = r.type == RecordType::kEval || r.type == RecordType::kTest;
    const std::string prefix = (evaluation ? r.split() : std::string("train")) + "/";
    for (const auto& [name, value] : run_directory::curve_values(r))
      writer_->add({prefix + name, r.step, value, time});
    if (evaluation)
      for (const auto& [label, f1] : run_directory::per_label_f1(r))
        writer_->add({prefix + "f1/" + label, r.step, f1, time});
  } catch (const std::exception& e) {
    failed_ = true;
    log::get("tensorboard")
        ->warn("TensorBoard events are no longer written to {}: {}", dir_, e.what());
  }
}

}  // namespace berth::trainer
