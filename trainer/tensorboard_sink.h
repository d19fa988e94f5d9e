// TensorBoard scalars from the records of metrics.jsonl (MetricsLog feeds it every record it
// writes), so the curves hold exactly the logged values. Steps are optimizer steps. Tags:
//   train/loss (mean over the logging window), train/lr, train/grad_norm, train/samples_per_s,
//   train/tokens_per_s, train/epoch, train/loss_scale (fp16), train/comm_wait_fraction (several
//   ranks); <split>/loss, <split>/accuracy, <split>/macro_f1 and <split>/f1/<label> for every
//   evaluation ("dev") and the final test ("test").
// A "start" record drops every earlier event of the directory, a "resume" record those after
// the step it resumes from (see TensorBoardWriter).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "trainer/tensorboard_writer.h"

namespace berth::trainer {

class TensorBoardSink {
 public:
  explicit TensorBoardSink(std::string dir) : dir_(std::move(dir)) {}
  void operator()(const nlohmann::json& record);

 private:
  void add(const std::string& tag, int64_t step, const nlohmann::json& value, double time);
  std::string dir_;
  std::unique_ptr<TensorBoardWriter> writer_;
  bool failed_ = false;  // a write error was reported once; training goes on without curves
};

}  // namespace berth::trainer
