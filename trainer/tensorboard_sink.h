// TensorBoard scalars from the records of metrics.jsonl (the run's MetricsWriter hands it every
// record it writes), so the curves hold exactly the logged values. Steps are optimizer steps.
// Tags are the curves of run_directory/curves.h: train/<curve> for each logging window,
// <split>/<curve> and <split>/f1/<label> for every evaluation ("dev") and the final test
// ("test"); a curve listed there is a tag here.
// A start record drops every earlier event of the directory, a resume record those after the
// step it resumes from (see TensorBoardWriter).
#pragma once

#include <memory>
#include <string>

#include "run_directory/record.h"
#include "trainer/tensorboard_writer.h"

namespace berth::trainer {

class TensorBoardSink {
 public:
  explicit TensorBoardSink(std::string dir) : dir_(std::move(dir)) {}
  void operator()(const run_directory::Record& record);

 private:
  std::string dir_;
  std::unique_ptr<TensorBoardWriter> writer_;
  bool failed_ = false;  // a write error was reported once; training goes on without curves
};

}  // namespace berth::trainer
