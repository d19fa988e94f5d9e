// One line of metrics.jsonl: a JSON object with its type, the optimizer step it belongs to, the
// Unix time it was written and the schema version of the writer, then the fields of its type.
// The types form a closed set, parsed once here; a line of an unknown type (a newer writer) or
// that is not JSON (a torn last line after a crash) is skipped by readers, never fatal.
//   start, resume   a process began (afresh, or from a checkpoint): restart count, world size,
//                   total steps, Slurm job
//   train           one logging window: mean_loss, lr, grad_norm, throughput, ...
//   eval, test      an evaluation of the dev set (per train.eval_every) or the final test
//   checkpoint      a checkpoint written: reason, seconds, the longest step (step_s)
//   stopped, done   how a process ended: stopped by a signal, or training finished
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/choices.h"

namespace berth::run_directory {

enum class RecordType { kStart, kResume, kTrain, kEval, kTest, kCheckpoint, kStopped, kDone };

// 1: the records written before the field existed; 2: "schema" on every record.
inline constexpr int kSchemaVersion = 2;

struct Record {
  RecordType type = RecordType::kTrain;
  int64_t step = 0;
  double time = 0;  // Unix seconds; NaN when the line has none
  int schema = 1;
  nlohmann::json fields;  // the whole object, type/step/time/schema included

  // The field as a number; NaN when absent or not a number (a null gradient norm).
  double number(const char* key) const;
  // Evaluation records: the split evaluated ("dev" or "test").
  std::string split() const;
};

// A line of metrics.jsonl; nullopt for a line that is not a JSON object with a known "type".
std::optional<Record> parse_record(const std::string& line);

}  // namespace berth::run_directory

namespace berth {
template <>
struct ChoiceNames<run_directory::RecordType> {
  static constexpr std::array<const char*, 8> names{"start", "resume",     "train",   "eval",
                                                    "test",  "checkpoint", "stopped", "done"};
};
}  // namespace berth
